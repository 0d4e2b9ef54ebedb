import 'cv-elements';

const segment = document.querySelector('cv-segment');
const output = document.querySelector('output');
segment.addEventListener('cv-result', (e) => {
  output.textContent = `${Math.round(e.detail.foreground * 100)} % person`;
});
