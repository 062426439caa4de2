import { useCallback, useEffect, useRef, useState } from 'react';
import { FAMILIES, type ModelFamily } from '../core/sam/families.ts';
import { BUNDLED_MODEL_ID, formatMb } from '../core/sam/localModels.ts';
import { bundledManifest, inspectModelFiles, inspectModelFolder, type Inspection } from '../state/services/models.ts';
import { useApp, useStore } from '../state/useApp.tsx';
import { useModal } from './keyboard.ts';
import { VideoModelSection } from './VideoModelSection.tsx';

/** The embeddings' memory, e.g. "3 images, 50 MB of 64 MB". */
export function memoryText(m: { images: number; bytes: number; capacity: number; otherBytes: number } | null): string {
  if (!m) return '';
  const other = m.otherBytes ? ` (+${formatMb(m.otherBytes)} crops and batch work)` : '';
  return `${m.images} image${m.images === 1 ? '' : 's'}, ${formatMb(m.bytes)} of ${formatMb(m.capacity)}${other}`;
}

function OnnxFileInput({ label, testId, onFile }: { label: string; testId: string; onFile: (f: File | null) => void }) {
  return (
    <label className="row">
      {label}
      <input type="file" accept=".onnx" data-testid={testId} onChange={(e) => onFile(e.currentTarget.files?.[0] ?? null)} />
    </label>
  );
}

function AddModel() {
  const { models } = useApp();
  const [encoder, setEncoder] = useState<File | null>(null);
  const [decoder, setDecoder] = useState<File | null>(null);
  const [family, setFamily] = useState<ModelFamily | 'auto'>('auto');
  const [inspection, setInspection] = useState<Inspection | null>(null);
  const [name, setName] = useState('');
  const [folder, setFolder] = useState<File[] | null>(null);
  const adding = useStore((s) => s.models.adding);
  const folderRef = useRef<HTMLInputElement>(null);
  useEffect(() => {
    folderRef.current?.setAttribute('webkitdirectory', '');
  }, []);

  useEffect(() => {
    let alive = true;
    const run = folder ? inspectModelFolder(folder) : encoder && decoder ? inspectModelFiles(encoder, decoder, family) : null;
    if (!run) return;
    void run.then((r) => {
      if (!alive) return;
      setInspection(r);
      if (r.ok) setName(r.name);
    });
    return () => {
      alive = false;
    };
  }, [encoder, decoder, family, folder]);

  const [addError, setAddError] = useState<{ error: string; hint: string } | null>(null);
  const add = async () => {
    if (!inspection?.ok) return;
    setAddError(null);
    const r = await models.addModel(inspection, name);
    if (!r.ok) setAddError({ error: r.error, hint: r.hint });
    if (r.ok) {
      setEncoder(null);
      setDecoder(null);
      setFolder(null);
      setInspection(null);
      setName('');
      setFamily('auto');
    }
  };

  return (
    <fieldset className="models-add">
      <legend>Add a model from disk</legend>
      <OnnxFileInput
        label="Encoder (.onnx)"
        testId="model-encoder-input"
        onFile={(f) => {
          setFolder(null);
          setInspection(null);
          setAddError(null);
          setEncoder(f);
        }}
      />
      <OnnxFileInput
        label="Decoder (.onnx)"
        testId="model-decoder-input"
        onFile={(f) => {
          setFolder(null);
          setInspection(null);
          setAddError(null);
          setDecoder(f);
        }}
      />
      <label className="row">
        or a folder (two .onnx files, or a sam-model.json naming them)
        <input
          ref={folderRef}
          type="file"
          multiple
          data-testid="model-folder-input"
          onChange={(e) => {
            const files = [...(e.currentTarget.files ?? [])];
            e.currentTarget.value = '';
            setInspection(null);
            setFolder(files.length ? files : null);
          }}
        />
      </label>
      {inspection && !inspection.ok && (
        <p className="error" role="alert" data-testid="model-add-error">
          {inspection.error} <span className="muted">{inspection.hint}</span>
        </p>
      )}
      {addError && (
        <p className="error" role="alert" data-testid="model-add-error">
          {addError.error} <span className="muted">{addError.hint}</span>
        </p>
      )}
      {((encoder && decoder && !folder) || inspection?.ok) && (
        <label className="row">
          Family
          <select
            aria-label="Model family"
            value={family === 'auto' && inspection?.ok ? inspection.family : family}
            onChange={(e) => setFamily(e.target.value as ModelFamily | 'auto')}
            disabled={!!folder}
          >
            <option value="auto">Tell from the files</option>
            {(Object.keys(FAMILIES) as ModelFamily[]).map((f) => (
              <option key={f} value={f}>
                {FAMILIES[f].label}
              </option>
            ))}
          </select>
          <span className="muted" data-testid="model-family-guess">
            {family === 'auto' && inspection?.ok ? `told from the files: ${FAMILIES[inspection.family].label}` : ''}
          </span>
        </label>
      )}
      {inspection?.ok && (
        <>
          <label className="row">
            Name
            <input aria-label="Model name" value={name} onChange={(e) => setName(e.target.value)} />
          </label>
          <p className="muted">
            {inspection.encoder.name} ({formatMb(inspection.encoder.size)}) + {inspection.decoder.name} ({formatMb(inspection.decoder.size)}
            ): copied into this browser's storage, so they need not be picked again after a reload.
          </p>
          <button className="active" disabled={!!adding} onClick={() => void add()}>
            Add model
          </button>
        </>
      )}
      {adding && (
        <p>
          Adding {adding.name}… <progress max={adding.total} value={adding.done} />
        </p>
      )}
    </fieldset>
  );
}

export function ModelsDialog({ onClose }: { onClose: () => void }) {
  const { models } = useApp();
  useModal(true, onClose);
  const stored = useStore((s) => s.models.stored);
  const urlModel = useStore((s) => s.models.urlModel);
  const storage = useStore((s) => s.models.storage);
  const model = useStore((s) => s.model);
  useEffect(() => {
    void models.refreshModels();
  }, [models]);
  const bundled = bundledManifest();
  const rows = [
    { id: BUNDLED_MODEL_ID, name: bundled.name, family: 'sam' as ModelFamily, detail: 'bundled with the app', removable: false, sha: '' },
    ...stored.map((m) => ({
      id: m.id,
      name: m.name,
      family: m.family,
      detail: `${formatMb(m.encoder.size + m.decoder.size)} · encoder ${m.encoder.file}, decoder ${m.decoder.file}`,
      removable: true,
      sha: `encoder SHA-256 ${m.encoder.sha256}\ndecoder SHA-256 ${m.decoder.sha256}`,
    })),
  ];
  const current = model.id === bundled.id ? BUNDLED_MODEL_ID : model.id;
  const rename = useCallback((id: string, name: string) => void models.renameModel(id, name), [models]);
  return (
    <div className="modal" role="dialog" aria-modal="true" aria-label="Models">
      <div className="modal-body models-dialog">
        <h2>Models</h2>
        <p data-testid="model-current">
          In use: <strong>{model.name || '…'}</strong> ({FAMILIES[model.family].label}) — {model.status}
          {model.memory && <span className="muted"> · embeddings: {memoryText(model.memory)}</span>}
        </p>
        {urlModel ? (
          <p className="muted">
            The page's address names the model files (?encoder= and ?decoder=): open the app without them to choose here.
          </p>
        ) : (
          <table className="models-table">
            <tbody>
              {rows.map((r) => (
                <tr key={r.id} data-testid="model-row" data-model-id={r.id} data-current={r.id === current ? 'true' : 'false'}>
                  <td>
                    <input
                      type="radio"
                      name="model"
                      aria-label={`Use ${r.name}`}
                      checked={r.id === current}
                      onChange={() => void models.chooseModel(r.id)}
                    />
                  </td>
                  <td>
                    {r.removable ? (
                      <input
                        className="model-name"
                        aria-label="Name"
                        defaultValue={r.name}
                        onBlur={(e) => e.target.value.trim() !== r.name && rename(r.id, e.target.value)}
                      />
                    ) : (
                      r.name
                    )}
                    <div className="muted" title={r.sha}>
                      {FAMILIES[r.family].label} · {r.detail}
                      {r.sha && <span data-testid="model-checksum"> · SHA-256 {r.sha.split(' ')[2]!.slice(0, 12)}…</span>}
                    </div>
                  </td>
                  <td>
                    {r.removable && (
                      <button aria-label={`Remove ${r.name}`} onClick={() => void models.removeModel(r.id)}>
                        Remove
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <p className="muted" data-testid="model-storage">
          {storage.quota !== undefined && `Browser storage: ${formatMb(storage.usage ?? 0)} used of ${formatMb(storage.quota)}.`}
        </p>
        <AddModel />
        <VideoModelSection />
        <div className="row">
          <button onClick={onClose}>Close</button>
        </div>
      </div>
    </div>
  );
}
