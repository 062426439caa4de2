/** The toolbar's status: the model's loading, the shown image's encoding, the backend, a COCO import under way. */
import { useAppStore, useStore } from '../state/useApp.tsx';
import { memoryText } from './ModelsDialog.tsx';

function formatMb(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MB`;
}

/** A COCO import under way: how far the check of its annotations is, and a way to stop it. */
function ImportProgress() {
  const store = useAppStore();
  const importing = useStore((s) => s.importing);
  if (!importing) return null;
  return (
    <span className="import-progress" data-testid="import-progress">
      Importing {importing.name}
      {importing.total > 0
        ? `: ${importing.done.toLocaleString('en')} of ${importing.total.toLocaleString('en')} annotations checked`
        : '…'}
      <progress max={importing.total || 1} value={importing.done} />
      <button onClick={() => store.getState().cancelImport()}>Cancel import</button>
    </span>
  );
}

export function ModelStatus() {
  const model = useStore((s) => s.model);
  const imageStatus = useStore((s) => (s.currentImageId === null ? undefined : s.imageStatus[s.currentImageId]));
  const decoding = useStore((s) => s.decoding);
  let text: string;
  if (model.status === 'error') text = 'Model failed to load';
  else if (model.status !== 'ready')
    text = model.total > 0 ? `Downloading model… ${formatMb(model.loaded)} / ${formatMb(model.total)}` : 'Loading model…';
  else if (imageStatus === 'encoding' || imageStatus === 'pending') text = 'Encoding image…';
  else if (imageStatus === 'error') text = 'This image could not be encoded';
  else if (imageStatus === 'missing') text = 'Image file not opened';
  else if (decoding) text = 'Segmenting…';
  else text = 'Ready';
  return (
    <div
      className="status"
      data-testid="status"
      data-model={model.status}
      data-image={imageStatus ?? 'none'}
      title={[text, model.name, model.reason].filter(Boolean).join(' · ')}
    >
      <span className={`dot dot-${model.status === 'error' || imageStatus === 'error' ? 'error' : text === 'Ready' ? 'ready' : 'busy'}`} />
      <span>{text}</span>
      {model.status === 'loading' && model.total > 0 && <progress max={model.total} value={model.loaded} />}
      {model.name && (
        <span className="backend" data-testid="model-name" data-model-id={model.id} title={`Embeddings: ${memoryText(model.memory)}`}>
          {model.name}
        </span>
      )}
      {model.backend && (
        <span className="backend" title={model.reason} data-testid="backend">
          {model.reason}
        </span>
      )}
      <ImportProgress />
    </div>
  );
}
