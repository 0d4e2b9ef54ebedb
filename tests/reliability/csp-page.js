// Runs inside /__faults/csp (served with scripts/fault-routes.mjs's STRICT_CSP): records every
// violation, mounts a real element on a canvas, and publishes what happened on window.cspReport
// for the parent test page to read.
const report = { violations: [], results: 0, errors: [], ready: false, trustedTypes: typeof trustedTypes !== 'undefined' };
window.cspReport = report;
document.addEventListener('securitypolicyviolation', (e) => report.violations.push(`${e.violatedDirective}: ${e.blockedURI} ${e.sample ?? ''}`.trim()));

const canvas = document.getElementById('red');
const ctx = canvas.getContext('2d');
ctx.fillStyle = 'rgb(230, 20, 20)';
ctx.fillRect(0, 0, canvas.width, canvas.height);

try {
  await import('/dist/cv-elements.js');
  const classify = document.createElement('cv-classify');
  classify.setAttribute('src', 'tiny-colour');
  classify.setAttribute('catalog', '/tests/fixtures/catalog.json');
  classify.setAttribute('source', '#red');
  classify.setAttribute('backend', 'wasm');
  classify.addEventListener('cv-ready', () => (report.ready = true));
  classify.addEventListener('cv-result', (e) => {
    report.results++;
    report.label = e.detail.labels[0]?.label;
  });
  classify.addEventListener('cv-error', (e) => report.errors.push(`${e.detail.code}: ${e.detail.message}`));
  // Small, so both are on screen in the frame (elements off-screen do not run).
  classify.style.cssText = 'display:inline-block;width:120px';
  document.body.append(classify);
  const segment = document.createElement('cv-segment');
  segment.setAttribute('src', 'tiny-redmask');
  segment.setAttribute('catalog', '/tests/fixtures/catalog.json');
  segment.setAttribute('source', '#red');
  segment.setAttribute('effect', 'blur');
  segment.addEventListener('cv-result', () => (report.segmentResults = (report.segmentResults ?? 0) + 1));
  segment.addEventListener('cv-error', (e) => report.errors.push(`${e.detail.code}: ${e.detail.message}`));
  segment.style.cssText = 'display:inline-block;width:120px';
  document.body.append(segment);
} catch (e) {
  report.errors.push(`load: ${e?.message ?? e}`);
}
