// Prints the size of @jotauth/client as an application ships it: the whole public entry
// bundled, minified (esbuild) and gzipped (zlib, level 9). Run: npm run size
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const entry = fileURLToPath(new URL('../src/index.ts', import.meta.url));
const result = await build({
  entryPoints: [entry],
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2022',
  write: false,
});
const code = result.outputFiles[0].contents;
const gzipped = gzipSync(code, { level: 9 }).length;
console.log(`@jotauth/client: ${code.length} B minified, ${gzipped} B minified+gzip (${(gzipped / 1024).toFixed(2)} KiB; target < 5 KB)`);
