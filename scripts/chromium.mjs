// Finds Debian's Chromium (or CHROME_PATH), installing it with apt when we are root and it is missing.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export function findChromium() {
  const candidates = [process.env.CHROME_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter(Boolean);
  const found = candidates.find((p) => existsSync(p));
  if (found) return found;
  const root = process.getuid?.() === 0;
  if (root && existsSync('/usr/bin/apt-get')) {
    console.error('[cv-elements] Chromium not found: installing Debian\'s chromium with apt-get…');
    execSync('apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium', { stdio: 'inherit' });
    if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  }
  throw new Error(
    'No Chromium found. Install it with:\n  sudo apt-get update && sudo apt-get install -y chromium\nor set CHROME_PATH to a Chromium or Chrome binary.',
  );
}

/** Flags that work in a headless container with no network; see README "Testing". */
export const CHROMIUM_FLAGS = [
  '--headless=new',
  '--no-sandbox',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--enable-unsafe-webgpu',
  '--enable-unsafe-swiftshader',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
];

/** Makes a y4m camera video from a photo with ffmpeg (installed from Debian when missing). */
export function fakeCameraVideo(photo, out, { width = 640, height = 480, frames = 10, fps = 15 } = {}) {
  if (existsSync(out)) return out;
  if (!existsSync('/usr/bin/ffmpeg') && process.getuid?.() === 0) {
    execSync('DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg', { stdio: 'inherit' });
  }
  execSync(
    `ffmpeg -loglevel error -y -loop 1 -i "${photo}" -vf "scale=${width}:${height}:force_original_aspect_ratio=increase,crop=${width}:${height}" ` +
      `-r ${fps} -frames:v ${frames} -pix_fmt yuv420p "${out}"`,
    { stdio: 'inherit' },
  );
  return out;
}
