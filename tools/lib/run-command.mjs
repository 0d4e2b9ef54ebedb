// Private runner for the command modules until the cv-models dispatcher lands:
//   node tools/lib/run-command.mjs quantize IN.onnx -o OUT.onnx --int8
const [cmd, ...rest] = process.argv.slice(2);
const mod = await import(new URL(`../commands/${cmd}.mjs`, import.meta.url));
try {
  const code = await mod.main(rest);
  process.exitCode = typeof code === 'number' ? code : 0;
} catch (e) {
  console.error(`cv-models ${cmd}: ${e.message}`);
  if (process.env.DEBUG) console.error(e.stack);
  process.exitCode = 1;
}
