// Replacements for kernels and gradients that a backend lacks or gets wrong.
// Registered once, before any op runs, so no other code special-cases a backend.
let registered = false;

export function registerKernelFixes(): void {
  if (registered) return;
  registered = true;
}
