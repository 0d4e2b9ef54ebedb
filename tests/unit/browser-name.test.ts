// browserName() on the user-agent strings of the engines a visitor brings (as those browsers send them).
import { expect } from '@esm-bundle/chai';
import { browserName } from '../../src/browser-name.js';

const ua = (userAgent: string) => ({ userAgent });

describe('browserName', () => {
  it('names Chromium from userAgentData, and from the UA string without it', () => {
    expect(browserName({ userAgent: 'x', userAgentData: { brands: [{ brand: 'Not=A?Brand', version: '99' }, { brand: 'Chromium', version: '156' }] } })).to.equal('Chromium 156');
    expect(browserName(ua('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36'))).to.equal('Chromium 156');
    expect(browserName(ua('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/139.0.0.0 Safari/537.36 Edg/139.0.0.0'))).to.equal('Edge 139');
  });

  it('names Firefox, Safari, WebKitGTK and the iOS browsers', () => {
    expect(browserName(ua('Mozilla/5.0 (X11; Linux x86_64; rv:153.0) Gecko/20100101 Firefox/153.0'))).to.equal('Firefox 153');
    expect(browserName(ua('Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.4 Safari/605.1.15'))).to.equal('Safari 18.4');
    expect(browserName(ua('Mozilla/5.0 (X11; Ubuntu; Linux x86_64) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/60.5 Safari/605.1.15'))).to.equal('WebKitGTK');
    expect(browserName(ua('Mozilla/5.0 (iPhone; CPU iPhone OS 18_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.4 Mobile/15E148 Safari/604.1'))).to.equal('Safari 18.4 on iOS');
    expect(browserName(ua('Mozilla/5.0 (iPhone; CPU iPhone OS 18_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/139.0 Mobile/15E148 Safari/604.1'))).to.equal('Chrome 139 on iOS (WebKit)');
  });

  it('names this browser', () => {
    expect(browserName()).to.match(/^Chromium \d+$/);
  });
});
