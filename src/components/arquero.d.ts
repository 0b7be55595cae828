// arquero's browser build: a UMD bundle without the Node-only file readers that
// the package's ESM entry pulls in. Bundled for the browser it has a single
// default export, the API object, with the same API as the package entry.
declare module "arquero/dist/arquero.min.js" {
  import * as api from "arquero";
  export default api;
}
