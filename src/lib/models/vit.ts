// Vision Transformer pieces as timm 0.3.2 defines them (what the official MAE builds
// on): patch embedding, multi-head self-attention, MLP and the pre-norm block.
// Parameters are looked up in a ParamStore by their official names, in torch layouts
// (Linear [out, in], Conv2d [E, C, p, p]). Images are NHWC float32.
//
// Performance notes: attention runs all heads at once as batched matmuls over
// [heads * B, N, hd] with explicit transposes of rank <= 4; on wasm, batched and
// transposed products run on MaskAU's own kernel (src/lib/tf/wasm/gemm.ts), which reads
// a transposed operand in place.
import * as tf from "@tensorflow/tfjs-core";
import { gelu, layerNorm } from "../tf/ops.js";
import type { ParamStore } from "./params.js";

/**
 * a @ b for rank-2 or same-batch rank-3 operands. A plain tf.matMul: the wasm backend's
 * BatchMatMul kernel (src/lib/tf/kernels/wasm-batch-matmul.ts) runs batched products and
 * the transposed products of the gradient in place, so no custom gradient is needed.
 */
export function matMul<T extends tf.Tensor2D | tf.Tensor3D>(a: T, b: T): T {
  if (a.rank !== b.rank || (a.rank === 3 && a.shape[0] !== b.shape[0])) {
    throw new Error(`matMul: operands [${a.shape}] and [${b.shape}] need the same rank and batch`);
  }
  return tf.matMul(a, b) as T;
}

/**
 * torch.nn.Linear with the weight in torch layout [out, in]: x [..., in] -> [..., out].
 * One 2-D matmul against the transposed weight (every backend reads it in place).
 */
export function dense(x: tf.Tensor, weight: tf.Tensor, bias?: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const [outDim, inDim] = weight.shape;
    const y = tf.matMul(tf.reshape(x, [-1, inDim]) as tf.Tensor2D, weight as tf.Tensor2D, false, true);
    return tf.reshape(bias ? tf.add(y, bias) : y, [...x.shape.slice(0, -1), outDim]);
  });
}

/** Linear layer by its official prefix (`<prefix>.weight` [out, in], `<prefix>.bias`). */
export function linearByName(x: tf.Tensor, params: ParamStore, prefix: string): tf.Tensor {
  return dense(x, params.get(`${prefix}.weight`), params.has(`${prefix}.bias`) ? params.get(`${prefix}.bias`) : undefined);
}

/** Optional observer of intermediate tensors (for parity checks); it must tf.keep what it stores. */
export type Trace = (name: string, t: tf.Tensor) => void;

/**
 * imgs [N, H, W, C] -> [N, L, p*p*C]: token l = row*w + col; inside a patch the
 * index is (py*p + px)*C + c (channel fastest), as the official patchify.
 */
export function patchify(imgs: tf.Tensor4D, p: number): tf.Tensor3D {
  return tf.tidy(() => {
    const [n, hh, ww, c] = imgs.shape;
    if (hh % p !== 0 || ww % p !== 0) throw new Error(`patchify: image ${hh}x${ww} is not a multiple of the patch size ${p}`);
    const h = hh / p;
    const w = ww / p;
    const x = tf.reshape(imgs, [n * h, p, w, p * c]);
    return tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [n, h * w, p * p * c]) as tf.Tensor3D;
  });
}

/** The inverse of patchify: [N, L, p*p*C] -> [N, H, W, C] (square grid). */
export function unpatchify(x: tf.Tensor3D, p: number, channels = 3): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, l, d] = x.shape;
    const g = Math.round(Math.sqrt(l));
    if (g * g !== l) throw new Error(`unpatchify: ${l} tokens do not form a square grid`);
    if (d !== p * p * channels) throw new Error(`unpatchify: token width ${d} is not ${p}*${p}*${channels}`);
    const y = tf.reshape(x, [n * g, g, p, p * channels]);
    return tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [n, g * p, g * p, channels]) as tf.Tensor4D;
  });
}

/**
 * Conv2d(C, E, kernel p, stride p) as one matmul on the patchified image. The conv
 * weight [E, C, p, p] reads its input in (c, py, px) order; it is rearranged here to
 * the patchify order (py, px, c), so no im2col of the image is needed.
 * imgs [N, H, W, C] -> tokens [N, L, E], row-major over the patch grid.
 */
export function patchEmbed(imgs: tf.Tensor4D, weight: tf.Tensor, bias: tf.Tensor): tf.Tensor3D {
  return tf.tidy(() => {
    const [e, c, p] = weight.shape;
    const w = tf.reshape(tf.transpose(tf.reshape(weight, [e, c, p * p]), [2, 1, 0]), [p * p * c, e]) as tf.Tensor2D;
    const patches = patchify(imgs, p);
    const [n, l, d] = patches.shape;
    return tf.reshape(tf.add(matMul(tf.reshape(patches, [n * l, d]) as tf.Tensor2D, w), bias), [n, l, e]) as tf.Tensor3D;
  });
}

/**
 * timm Attention: qkv Linear(D, 3D) (rows [0,D) q, [D,2D) k, [2D,3D) v; head h owns
 * features [h*hd, (h+1)*hd)), softmax(q k^T * hd^-0.5) v, heads concatenated, proj.
 * x [B, N, D] -> [B, N, D].
 */
export function attention(x: tf.Tensor3D, params: ParamStore, prefix: string, numHeads: number): tf.Tensor3D {
  return tf.tidy(() => {
    const [b, n, d] = x.shape;
    const hd = d / numHeads;
    const qkv = linearByName(x, params, `${prefix}.qkv`);
    // [B, N, 3*heads, hd] -> [3*heads, B, N, hd]: q, k, v as [heads*B, N, hd] (head-major batch).
    const split = tf.transpose(tf.reshape(qkv, [b, n, 3 * numHeads, hd]), [2, 0, 1, 3]);
    const [q, k, v] = tf.split(split, 3, 0).map((t) => tf.reshape(t, [numHeads * b, n, hd]) as tf.Tensor3D);
    const scores = tf.mul(tf.matMul(q, k, false, true), hd ** -0.5);
    const attn = tf.softmax(scores, -1) as tf.Tensor3D;
    const ctx = matMul(attn, v); // [heads*B, N, hd]
    const merged = tf.reshape(tf.transpose(tf.reshape(ctx, [numHeads, b, n, hd]), [1, 2, 0, 3]), [b, n, d]);
    return linearByName(merged, params, `${prefix}.proj`) as tf.Tensor3D;
  });
}

/** timm Mlp: fc1 -> exact GELU -> fc2. */
export function mlp(x: tf.Tensor, params: ParamStore, prefix: string): tf.Tensor {
  return tf.tidy(() => {
    return linearByName(gelu(linearByName(x, params, `${prefix}.fc1`)), params, `${prefix}.fc2`);
  });
}

/** LayerNorm by its official prefix (`<prefix>.weight`, `<prefix>.bias`). */
export function norm(x: tf.Tensor, params: ParamStore, prefix: string, eps: number): tf.Tensor {
  return layerNorm(x, params.get(`${prefix}.weight`) as tf.Tensor1D, params.get(`${prefix}.bias`) as tf.Tensor1D, eps);
}

/** Pre-norm block: x + attn(norm1(x)), then + mlp(norm2(x)). */
export function block(x: tf.Tensor3D, params: ParamStore, prefix: string, numHeads: number, eps: number): tf.Tensor3D {
  return tf.tidy(() => {
    const y = tf.add(x, attention(norm(x, params, `${prefix}.norm1`, eps) as tf.Tensor3D, params, `${prefix}.attn`, numHeads)) as tf.Tensor3D;
    return tf.add(y, mlp(norm(y, params, `${prefix}.norm2`, eps), params, `${prefix}.mlp`)) as tf.Tensor3D;
  });
}

/** `depth` blocks named `<prefix>.0`, `<prefix>.1`, ...; traces each output as `mid.<prefix>.<i>`. */
export function blocks(
  x: tf.Tensor3D,
  params: ParamStore,
  prefix: string,
  depth: number,
  numHeads: number,
  eps: number,
  trace?: Trace,
): tf.Tensor3D {
  return tf.tidy(() => {
    let h = x;
    for (let i = 0; i < depth; i++) {
      h = block(h, params, `${prefix}.${i}`, numHeads, eps);
      trace?.(`mid.${prefix}.${i}`, h);
    }
    return h;
  });
}

/** State-dict layout of one block (names and torch shapes), in official order. */
export function blockLayout(prefix: string, dim: number, mlpHidden: number): { name: string; shape: number[] }[] {
  return [
    { name: `${prefix}.norm1.weight`, shape: [dim] },
    { name: `${prefix}.norm1.bias`, shape: [dim] },
    { name: `${prefix}.attn.qkv.weight`, shape: [3 * dim, dim] },
    { name: `${prefix}.attn.qkv.bias`, shape: [3 * dim] },
    { name: `${prefix}.attn.proj.weight`, shape: [dim, dim] },
    { name: `${prefix}.attn.proj.bias`, shape: [dim] },
    { name: `${prefix}.norm2.weight`, shape: [dim] },
    { name: `${prefix}.norm2.bias`, shape: [dim] },
    { name: `${prefix}.mlp.fc1.weight`, shape: [mlpHidden, dim] },
    { name: `${prefix}.mlp.fc1.bias`, shape: [mlpHidden] },
    { name: `${prefix}.mlp.fc2.weight`, shape: [dim, mlpHidden] },
    { name: `${prefix}.mlp.fc2.bias`, shape: [dim] },
  ];
}
