/**
 * A short name for the browser this code runs in ("Chromium 156", "Firefox 153", "Safari 18",
 * "WebKitGTK"), for messages that say why something cannot run here. Works in workers too.
 * Derived from `userAgentData` where the browser has it (Chromium), else from the user-agent string.
 */
export function browserName(nav: { userAgent?: string; userAgentData?: { brands?: Array<{ brand: string; version: string }> } } | undefined = globalThis.navigator as never): string {
  const ua = nav?.userAgent ?? '';
  const brands = nav?.userAgentData?.brands ?? [];
  const brand = (name: string) => brands.find((b) => b.brand === name);
  const edge = brand('Microsoft Edge') ?? brand('Edge');
  if (edge) return `Edge ${edge.version}`;
  const chromium = brand('Chromium') ?? brand('Google Chrome');
  if (chromium) return `Chromium ${chromium.version}`;
  const m = (re: RegExp) => re.exec(ua)?.[1];
  // iOS browsers are all WebKit underneath, whatever their name says.
  if (/iPhone|iPad|iPod/.test(ua)) {
    const other = m(/(?:CriOS|FxiOS|EdgiOS)\/(\d+)/);
    return other ? `${/FxiOS/.test(ua) ? 'Firefox' : /EdgiOS/.test(ua) ? 'Edge' : 'Chrome'} ${other} on iOS (WebKit)` : `Safari ${m(/Version\/(\d+(?:\.\d+)?)/) ?? ''} on iOS`.replace('  ', ' ');
  }
  const firefox = m(/Firefox\/(\d+)/);
  if (firefox) return `Firefox ${firefox}`;
  const edgeUa = m(/Edg\/(\d+)/);
  if (edgeUa) return `Edge ${edgeUa}`;
  const chrome = m(/(?:HeadlessChrome|Chromium|Chrome)\/(\d+)/);
  if (chrome) return `Chromium ${chrome}`;
  if (/AppleWebKit/.test(ua)) {
    // WebKitGTK and WPE say "Safari" but run on Linux, and their "Version/" is no Safari release (2.50.6
    // reports 60.5): name the port without it.
    if (/Linux|X11|Wayland/.test(ua)) return 'WebKitGTK';
    const version = m(/Version\/(\d+(?:\.\d+)?)/);
    return version ? `Safari ${version}` : 'Safari';
  }
  return ua ? ua.split(' ').pop()!.replace('/', ' ') : 'this browser';
}
