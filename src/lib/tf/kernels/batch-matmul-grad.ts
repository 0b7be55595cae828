// Gradient of BatchMatMul. tfjs's own gradient ignores broadcasting of the batch
// dimensions: for a [2, 3, 4] @ b [4, 5] it returns a [2, 4, 5] gradient for b and the
// engine throws. Here each operand's gradient is summed over the batch dimensions it was
// broadcast along and reshaped to the operand's shape. The products use the transpose
// flags as tfjs does: backends where the flags were slow (wasm) handle them in their
// BatchMatMul kernel (./wasm-batch-matmul.ts), so every backend gets its fastest form.
import * as tf from "@tensorflow/tfjs-core";

/** Sums `grad` over the batch axes along which `input` was broadcast; reshapes it to `input`'s shape. */
function unbroadcast(grad: tf.Tensor, input: tf.Tensor): tf.Tensor {
  if (grad.shape.length === input.shape.length && grad.shape.every((d, i) => d === input.shape[i])) return grad;
  const outBatch = grad.shape.slice(0, -2);
  const inBatch = input.shape.slice(0, -2);
  const axes = tf.backend_util.getReductionAxes(inBatch, outBatch);
  const summed = axes.length > 0 ? tf.sum(grad, axes) : grad;
  return tf.reshape(summed, input.shape);
}

export const batchMatMulGradConfig: tf.GradConfig = {
  kernelName: tf.BatchMatMul,
  inputsToSave: ["a", "b"],
  gradFunc: (dy, saved, attrs) => {
    const [a, b] = saved;
    const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
    const g = dy as tf.Tensor;
    let da: () => tf.Tensor;
    let db: () => tf.Tensor;
    if (!transposeA && !transposeB) {
      da = () => tf.matMul(g, b, false, true);
      db = () => tf.matMul(a, g, true, false);
    } else if (!transposeA && transposeB) {
      da = () => tf.matMul(g, b, false, false);
      db = () => tf.matMul(g, a, true, false);
    } else if (transposeA && !transposeB) {
      da = () => tf.matMul(b, g, false, true);
      db = () => tf.matMul(a, g, false, false);
    } else {
      da = () => tf.matMul(b, g, true, true);
      db = () => tf.matMul(g, a, true, true);
    }
    return { a: () => unbroadcast(da(), a), b: () => unbroadcast(db(), b) };
  },
};
