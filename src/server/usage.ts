/** What `npm run server -- --help` and `npm run worker -- --help` print: the commands and flags, no database needed. */
export const USAGE = `Usage: npm run server [-- COMMAND] [FLAGS]      npm run worker [-- FLAGS]

Commands:
  (none)          serve the app and the API
  create-admin    make a server admin (the first account)
  create-user     make an ordinary account
  set-password    give an account a new password
  worker          a pre-annotation worker (npm run worker): needs DATABASE_URL (the server's
                  PostgreSQL) and the server's data directory (its image files)

Flags:
  --port N        (PORT, 8787)            --host H      (HOST, 127.0.0.1)
  --data DIR      (DATA_DIR, ./server-data: the embedded database and the image files)
  --app DIR       the built app (./dist)
  --trust-proxy   (TRUST_PROXY=1) behind a reverse proxy: the login limit counts by X-Forwarded-For
  --workers N     (serve) N pre-annotation workers inside the server process
  --anyone-creates-projects
                  (PROJECT_CREATORS=everyone) every account may create projects (default: server admins only)
  --threads N     (worker) onnxruntime threads
  --encoder E.onnx --decoder D.onnx [--family auto|sam|sam2]
                  (worker, serve --workers) run that model instead of the bundled one
  --sam2-video DIR
                  (worker, serve --workers) propagation runs follow tracks with SAM 2's video memory, DIR holding
                  its four graphs (image_encoder, image_decoder, memory_attention, memory_encoder .onnx)
  --username NAME (create-admin, create-user, set-password); the password from SAM_PASSWORD or standard input
  --help          this text

DATABASE_URL: a PostgreSQL server to use instead of the embedded one in the data directory.
`;

/** The usage text when the arguments ask for it (--help or -h anywhere, or the command "help"), else null. */
export function helpRequested(args: readonly string[]): string | null {
  return args.includes('--help') || args.includes('-h') || args[0] === 'help' ? USAGE : null;
}
