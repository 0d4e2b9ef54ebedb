// `cv-elements/react`: React components for the tags, made with @lit/react, for React versions that
// set every prop as a string attribute (18 and older) and for typed `onCvResult`-style event props.
// Importing this module also registers the tags and types them in JSX (./react-jsx.ts).
// The wrappers themselves are generated per tag (react.generated.ts), so a new element needs no edit here.
export * from './react.generated.js';
export type { CvEventListenerProps, CvJsxProps } from './react-jsx.js';
