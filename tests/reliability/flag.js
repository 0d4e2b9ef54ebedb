// Imported before the library: turns on its hidden resource accounting (src/page/resources.ts).
globalThis.CV_ELEMENTS_TEST = true;
