import { assetUrl } from '../asset-base.js';
import { BUNDLED_CATALOG, MODEL_FILES } from '../bundled-catalog.js';
import { CvError } from '../errors.js';
import type { ImageInputSpec } from '../tasks/shared/tensor-spec.js';

export type Precision = 'fp32' | 'int8' | 'fp16';

export interface CatalogVariant {
  /** Path relative to the catalog file. */
  file: string;
  sha256: string;
  bytes: number;
  verify?: Record<string, unknown>;
  /** false when the variant missed its accuracy bar and must be asked for by name. */
  default?: boolean;
}

export interface CatalogEntry {
  task: string;
  source?: Record<string, string>;
  input: ImageInputSpec;
  outputs: Array<{ name: string; shape: Array<number | string>; meaning?: string }>;
  labels: string[] | null;
  notes?: unknown;
  variants: Partial<Record<Precision, CatalogVariant>>;
  /** The TFLite source with TFLite Metadata, for backend="mediapipe" (segmentation and face detection). */
  mediapipe?: { file: string; sha256: string; bytes: number };
  /** Models made of several graphs (a VAE's encoder and decoder) name their parts here. */
  parts?: Record<string, string>;
}

export interface Catalog {
  version: number;
  models: Record<string, CatalogEntry>;
}

/** A model ready to load: where its bytes are, what they must hash to, and how to feed it. */
export interface ResolvedModel {
  name: string;
  url: string;
  sha256: string | null;
  precision: Precision | null;
  entry: CatalogEntry | null;
}

const catalogs = new Map<string, Promise<Catalog>>();

const PRECISIONS: Record<Precision, true> = { fp32: true, int8: true, fp16: true };

/** The catalog's entry for `name`, by own key only (never an Object.prototype member). */
export function catalogEntry(catalog: Catalog, name: string): CatalogEntry | undefined {
  return Object.hasOwn(catalog.models, name) ? catalog.models[name] : undefined;
}

/** The shape every later read relies on: `models` an object of objects with `variants` or `parts`. */
function checkCatalog(json: unknown, url: string): Catalog {
  const c = json as Catalog | null;
  const models = c?.models;
  if (!c || typeof c !== 'object' || !models || typeof models !== 'object' || Array.isArray(models)) {
    throw new CvError('catalog-invalid', `${url} is not a cv-elements catalog (no "models" object)`);
  }
  for (const [name, e] of Object.entries(models)) {
    if (!e || typeof e !== 'object' || (typeof e.variants !== 'object' && typeof e.parts !== 'object')) {
      throw new CvError('catalog-invalid', `Catalog ${url}: model "${name}" has neither variants nor parts`);
    }
    e.variants ??= {};
  }
  return c;
}

/**
 * A catalog: `url` names a catalog.json to fetch; without one, the package's own, which is built into the
 * module (no request) with its model files found through literal URLs (see src/bundled-catalog.ts).
 */
export function loadCatalog(url?: string): Promise<Catalog> {
  if (!url) return Promise.resolve(BUNDLED_CATALOG);
  const href = new URL(url, document.baseURI).href;
  let p = catalogs.get(href);
  if (!p) {
    p = fetch(href)
      .catch((e: Error) => {
        throw new CvError('model-fetch', `Model catalog ${href} could not be fetched: ${e.message}`);
      })
      .then(async (res) => {
        if (!res.ok) throw new CvError('model-fetch', `Model catalog ${href} answered HTTP ${res.status}`);
        let json: unknown;
        try {
          json = await res.json();
        } catch (e) {
          throw new CvError('catalog-invalid', `Model catalog ${href} is not JSON: ${(e as Error).message}`);
        }
        return checkCatalog(json, href);
      });
    p.catch(() => catalogs.delete(href));
    catalogs.set(href, p);
  }
  return p;
}

/** Where a catalog's model file is: next to a fetched catalog, or, for the package's own, its bundled URL (or the asset base). */
export function modelFileUrl(file: string, catalogUrl?: string): string {
  if (catalogUrl) return new URL(file, new URL(catalogUrl, document.baseURI)).href;
  const local = MODEL_FILES[file];
  if (!local) throw new CvError('model-not-found', `The package ships no model file "${file}"`);
  return assetUrl(file, local);
}

/** int8 for WASM (QLinear kernels), fp16 for WebGPU, fp32 otherwise or when the wanted one is missing. */
export function pickPrecision(entry: CatalogEntry, backend: 'wasm' | 'webgpu', wanted?: Precision | '', gpuF16 = true): Precision {
  if (wanted) {
    if (!Object.hasOwn(PRECISIONS, wanted)) throw new CvError('bad-attribute', `precision must be one of ${Object.keys(PRECISIONS).join(', ')}; got "${wanted}"`);
    if (!Object.hasOwn(entry.variants, wanted)) throw new CvError('model-not-found', `This model has no ${wanted} variant (it has ${Object.keys(entry.variants).join(', ')})`);
    if (wanted === 'fp16' && backend === 'webgpu' && !gpuF16) {
      throw new CvError('backend-unavailable', 'precision="fp16" needs a WebGPU adapter with shader-f16, and this one has none; use fp32');
    }
    return wanted;
  }
  // fp16 graphs need the adapter's shader-f16 feature (SwiftShader and some older GPUs lack it).
  const order: Precision[] = backend === 'webgpu' ? (gpuF16 ? ['fp16', 'fp32', 'int8'] : ['fp32', 'int8']) : ['int8', 'fp32', 'fp16'];
  for (const p of order) {
    const v = entry.variants[p];
    if (v && v.default !== false) return p;
  }
  const any = Object.keys(entry.variants)[0] as Precision | undefined;
  if (!any) throw new CvError('catalog-invalid', 'This catalog entry lists no model files');
  return any;
}

/** True when `src` names a model file rather than a catalog entry. */
export function isModelUrl(src: string): boolean {
  return /\.onnx(\?|#|$)/i.test(src) || /^(https?:|blob:|data:|\.{0,2}\/)/.test(src);
}

/**
 * Resolves a `src` attribute (catalog name or URL) to loadable models. Part names (`encoder`, `decoder`)
 * are resolved too, so a caller gets every graph a pipeline needs.
 */
export async function resolveModel(
  src: string,
  backend: 'wasm' | 'webgpu',
  /** `gpuF16`: the GPU has shader-f16 (the caller probes it; a catalog only reads files). */
  opts: { catalogUrl?: string; precision?: Precision | ''; integrity?: string | null; gpuF16?: boolean } = {},
): Promise<ResolvedModel> {
  if (isModelUrl(src)) {
    return { name: src, url: new URL(src, document.baseURI).href, sha256: parseIntegrity(opts.integrity), precision: null, entry: null };
  }
  const catalogUrl = opts.catalogUrl || undefined;
  const catalog = await loadCatalog(catalogUrl);
  // Own keys only: `src="constructor"` must not find Object.prototype.constructor.
  const entry = catalogEntry(catalog, src);
  if (!entry) {
    throw new CvError('model-not-found', `"${src}" is not in the model catalog. Known models: ${Object.keys(catalog.models).join(', ')}`);
  }
  if (entry.parts) return { name: src, url: '', sha256: null, precision: null, entry };
  const precision = pickPrecision(entry, backend, opts.precision, backend === 'webgpu' && !!opts.gpuF16);
  const variant = entry.variants[precision]!;
  return {
    name: src,
    url: modelFileUrl(variant.file, catalogUrl),
    sha256: parseIntegrity(opts.integrity) ?? variant.sha256,
    precision,
    entry,
  };
}

/** Accepts `sha256-<base64>` (Subresource Integrity) or a hex digest; returns lowercase hex. */
export function parseIntegrity(integrity: string | null | undefined): string | null {
  if (!integrity) return null;
  const value = integrity.trim();
  if (/^[0-9a-f]{64}$/i.test(value)) return value.toLowerCase();
  const m = /^sha256-([A-Za-z0-9+/=_-]+)$/.exec(value);
  if (!m) throw new CvError('bad-attribute', `integrity must be "sha256-<base64>" or a 64-digit hex sha256, got "${value}"`);
  let bin: string;
  try {
    bin = atob(m[1]!.replace(/-/g, '+').replace(/_/g, '/'));
  } catch {
    throw new CvError('bad-attribute', `integrity "${value}" is not valid base64`);
  }
  if (bin.length !== 32) throw new CvError('bad-attribute', `integrity digest is ${bin.length} bytes, a sha256 has 32`);
  return Array.from(bin, (c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join('');
}
