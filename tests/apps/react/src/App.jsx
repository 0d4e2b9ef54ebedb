import 'cv-elements';
import { useEffect, useRef, useState } from 'react';

export function App() {
  const ref = useRef(null);
  const [share, setShare] = useState(null);
  useEffect(() => {
    // StrictMode runs this twice in development (setup, cleanup, setup); the count lets the test see it did.
    window.__effectRuns = (window.__effectRuns ?? 0) + 1;
    const segment = ref.current;
    const onResult = (e) => setShare(e.detail.foreground);
    segment.addEventListener('cv-result', onResult);
    return () => segment.removeEventListener('cv-result', onResult);
  }, []);
  return (
    <>
      <cv-segment ref={ref} effect="blur" />
      <output>{share === null ? '' : `${Math.round(share * 100)} % person`}</output>
    </>
  );
}
