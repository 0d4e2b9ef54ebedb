// The CLI's heavy runtimes are optional peer dependencies of cv-elements: installing the elements should not pull
// 290 MB of onnxruntime-node. Commands load them through here, so a missing one is named with the command to run.
const WHY = {
  'onnxruntime-node': 'runs models natively (quantize, verify, extract-features)',
  'onnxruntime-web': 'runs the browser runtime in Node (verify --runtime web, quantize --auto-mixed) and in Chromium (verify --browser)',
  'playwright-core': 'drives Chromium (verify --browser)',
};

export class MissingPeerError extends Error {
  constructor(name) {
    super(`this needs ${name}, which ${WHY[name] ?? 'this command uses'}. It is an optional peer dependency of cv-elements and is not installed: run "npm install ${name}" (onnxruntime packages: the same version as cv-elements was built with, 1.30.0).`);
    this.code = 'MISSING_PEER';
  }
}

/** Whether `err` says that package `name` itself could not be found (not one of its own files or dependencies). */
export function isMissing(err, name) {
  return (err?.code === 'ERR_MODULE_NOT_FOUND' || err?.code === 'MODULE_NOT_FOUND') && new RegExp(`['"]${name}['"/]`).test(String(err.message));
}

/** Imports an optional peer, or throws MissingPeerError naming it. */
export async function optional(name) {
  try {
    return await import(name);
  } catch (err) {
    if (isMissing(err, name)) throw new MissingPeerError(name);
    throw err;
  }
}
