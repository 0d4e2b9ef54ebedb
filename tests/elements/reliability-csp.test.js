// A page under a strict Content-Security-Policy with Trusted Types enforced (scripts/fault-routes.mjs,
// STRICT_CSP): the elements must load, run and draw with no violation at all.
import { expect } from '@esm-bundle/chai';

describe('reliability: strict Content-Security-Policy', () => {
  it('runs <cv-classify> and <cv-segment> with no securitypolicyviolation', async function () {
    this.timeout(90000);
    const frame = document.createElement('iframe');
    frame.src = '/__faults/csp';
    frame.style.cssText = 'width:640px;height:480px';
    document.body.append(frame);
    await new Promise((r) => (frame.onload = r));
    const win = frame.contentWindow;
    const t0 = performance.now();
    while (!(win.cspReport?.results >= 2 && win.cspReport?.segmentResults >= 2) && performance.now() - t0 < 60000) {
      if (win.cspReport?.violations.length || win.cspReport?.errors.length) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const report = win.cspReport;
    expect(report, 'the page script ran (script-src self)').to.be.an('object');
    expect(report.trustedTypes, 'this Chromium enforces Trusted Types').to.equal(true);
    expect(report.violations).to.deep.equal([]);
    expect(report.errors).to.deep.equal([]);
    expect(report.label).to.equal('red');
    expect(report.segmentResults).to.be.greaterThan(1);
    frame.remove();
  });
});
