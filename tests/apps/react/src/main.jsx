import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.jsx';

const root = createRoot(document.getElementById('root'));
root.render(
  <StrictMode>
    <App />
  </StrictMode>,
);
// The test unmounts the app to check that the camera and the model are let go of.
window.__unmountApp = () => root.unmount();
