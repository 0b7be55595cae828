// StridedSlice with a shrink axis: every tfjs backend reads from the wrong elements when a
// shrunk axis comes before a strided one (x[1, ::3] read x[1, 0], x[1, 2] instead of x[1, 0],
// x[1, 3]): the kernels pair the output shape without the shrunk axes with begin and
// strides that still have them. The replacement slices with the shrunk axes kept (size 1),
// which the backend's own kernel gets right, and reshapes them away.
import * as tf from "@tensorflow/tfjs-core";
import { runBackendKernel } from "./kernel-access.js";

export function makeStridedSliceFix(backendName: string) {
  return (original: tf.KernelFunc | undefined): tf.KernelFunc => {
    if (!original) throw new Error(`the ${backendName} backend has no StridedSlice kernel to correct`);
    return (args) => {
      const attrs = args.attrs as unknown as tf.StridedSliceAttrs;
      if (!attrs.shrinkAxisMask) return original(args);
      const { x } = args.inputs as { x: tf.TensorInfo };
      const { finalShape } = tf.slice_util.sliceInfo(
        x.shape, attrs.begin, attrs.end, attrs.strides, attrs.beginMask, attrs.endMask,
        attrs.ellipsisMask, attrs.newAxisMask, attrs.shrinkAxisMask,
      );
      const begin = attrs.begin.slice();
      const end = attrs.end.slice();
      const strides = attrs.strides.slice();
      let { beginMask, endMask } = attrs;
      for (let i = 0; i < begin.length; i++) {
        const bit = 1 << i;
        if (!(attrs.shrinkAxisMask & bit)) continue;
        // Keep exactly element begin[i]: [b, b+1), or [-1, end) for the last element.
        beginMask &= ~bit;
        strides[i] = 1;
        if (begin[i] === -1) endMask |= bit;
        else {
          endMask &= ~bit;
          end[i] = begin[i] + 1;
        }
      }
      const kept = original({
        ...args,
        attrs: { ...attrs, begin, end, strides, beginMask, endMask, shrinkAxisMask: 0 } as unknown as tf.NamedAttrMap,
      }) as tf.TensorInfo;
      const out = runBackendKernel(tf.Reshape, backendName, args.backend, { x: kept }, { shape: finalShape });
      (args.backend as tf.KernelBackend).disposeData(kept.dataId);
      return out;
    };
  };
}
