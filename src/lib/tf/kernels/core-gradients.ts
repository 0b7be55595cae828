// tfjs-core defines the gradient of every op in modules that only the union package
// "@tensorflow/tfjs" imports. MaskAU imports tfjs-core alone, so without this module no op
// has a gradient and tf.grad fails with "gradient function not found for ...".
import * as tf from "@tensorflow/tfjs-core";

let loading: Promise<void> | undefined;

/**
 * Registers tfjs-core's own gradient definitions once. The registry is process-global, so
 * the gradients apply to every backend. In Node the ES-module build that holds them needs
 * the resolve hook that `initNodeBackend` installs.
 */
export function registerCoreGradients(): Promise<void> {
  loading ??= (async () => {
    if (tf.getGradient(tf.Add) && tf.getGradient(tf.BatchMatMul)) return;
    try {
      await import("@tensorflow/tfjs-core/dist/register_all_gradients.js");
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      throw new Error(
        `could not load tfjs-core's gradient definitions (${reason}). ` +
          "In Node, initialise the backend with initNodeBackend from src/lib/tf/node.ts, " +
          "which lets Node resolve tfjs-core's ES-module build.",
      );
    }
    if (!tf.getGradient(tf.BatchMatMul)) {
      throw new Error("tfjs-core's gradient definitions loaded but registered nothing: check the tfjs-core version");
    }
  })();
  return loading;
}
