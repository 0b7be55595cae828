// Observable Framework configuration. Everything the site needs is bundled from
// node_modules: no stylesheet, font or module is fetched from a CDN, so the
// workspace works offline (tests/browser checks dist/ for CDN hosts).
export const STAGE_PAGES = [
  { name: "Data", path: "/pages/data" },
  { name: "Occlusion lab", path: "/pages/occlusion-lab" },
  { name: "MAE pretraining", path: "/pages/mae-pretraining" },
  { name: "Teacher", path: "/pages/teacher" },
  { name: "Student and KD", path: "/pages/student-kd" },
  { name: "Evaluation", path: "/pages/evaluation" },
  { name: "Report", path: "/pages/report" },
];

export default {
  root: "src",
  title: "MaskAU",
  pages: [{ name: "Stages", open: true, pages: STAGE_PAGES }],
  // The default stylesheet list pulls a web font from a CDN; use local styles only.
  globalStylesheets: ["observablehq:stdlib/inputs.css"],
  style: "style.css",
  head: `<link rel="icon" href="favicon.svg" type="image/svg+xml">`,
  header: `<div class="maskau-header"><span class="maskau-title">MaskAU · occlusion-robust AU recognition</span><span id="maskau-backend"></span></div>`,
  footer: "MaskAU: occlusion-robust facial action unit recognition from a masked autoencoder's latent space.",
  pager: true,
  toc: true,
  search: false,
};
