/** HTTP headers the app needs from whatever serves it: `vite preview` (`npm start`) and the project server. */

/** Cross-origin isolation, so onnxruntime-web may use WASM threads (SharedArrayBuffer). */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/**
 * What the production server (`npm start`, `vite preview`) sends with every answer besides isolation:
 * a Content-Security-Policy that allows what the app needs and nothing else (its own scripts and
 * WebAssembly, workers from itself and blob: URLs, images and model files from itself and blob:/data:
 * URLs, model files from other https servers when `?encoder=`/`?decoder=` name them, styles React
 * sets inline) and no MIME sniffing. The dev server (`npm run dev`) sends no CSP: Vite's hot reload
 * injects inline scripts.
 */
function contentSecurityPolicy(connect: string): string {
  return [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "worker-src 'self' blob:",
    `connect-src ${connect}`,
    "img-src 'self' blob: data:",
    "style-src 'self' 'unsafe-inline'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
export const CONTENT_SECURITY_POLICY = contentSecurityPolicy("'self' blob: data: https:");
/** No referrer leaves the app (project and file URLs name projects); no device the app does not use. */
const PRIVACY_HEADERS = {
  'Referrer-Policy': 'no-referrer',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), usb=(), serial=(), bluetooth=(), payment=(), display-capture=()',
};
export const SECURITY_HEADERS = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  ...PRIVACY_HEADERS,
};

/**
 * The project server's: the same, but the page may connect to its own origin only (a team's work and
 * session stay on the server; a model is added through the Models dialog or served from the same
 * origin, not fetched from another host by `?encoder=`).
 */
export const SERVER_SECURITY_HEADERS = {
  ...SECURITY_HEADERS,
  'Content-Security-Policy': contentSecurityPolicy("'self' blob: data:"),
};
