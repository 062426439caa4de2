/**
 * The Models dialog's part for SAM 2's video memory model (issue 29): its four graphs picked as files or a
 * folder, loaded for this session apart from the image model (propagation uses it, clicks do not).
 */
import { useEffect, useRef } from 'react';
import { useApp, useStore } from '../state/useApp.tsx';

export function VideoModelSection() {
  const { videoModel } = useApp();
  const state = useStore((s) => s.videoModel);
  const folderRef = useRef<HTMLInputElement>(null);
  useEffect(() => {
    folderRef.current?.setAttribute('webkitdirectory', '');
  }, []);
  const pick = (list: FileList | null) => {
    if (list?.length) void videoModel.loadFiles([...list]);
  };
  const f = state?.files;
  return (
    <section className="video-model" aria-label="Video memory model">
      <h3>Video memory (SAM 2 / 2.1)</h3>
      <p className="muted">
        For propagation with SAM 2's memory: the four graphs exported by pagarcia/sam2-onnx-cpp (image_encoder, image_decoder,
        memory_attention, memory_encoder). Kept for this session only; clicks keep using the model above.
      </p>
      <p data-testid="sam2video-status">
        {!state && 'None: propagation prompts each frame with the model above.'}
        {state?.status === 'loading' && `Loading ${state.source}…`}
        {state?.status === 'ready' &&
          f &&
          `Ready: propagation uses SAM 2's memory (${f.encoder}, ${f.decoder}, ${f.memoryAttention}, ${f.memoryEncoder}).`}
        {state?.status === 'error' && (
          <span className="error" role="alert">
            {state.error} {state.hint}
          </span>
        )}
      </p>
      <div className="row">
        <label className="row">
          Files
          <input type="file" accept=".onnx" multiple data-testid="sam2video-input" onChange={(e) => pick(e.currentTarget.files)} />
        </label>
        <label className="row">
          Folder
          <input ref={folderRef} type="file" data-testid="sam2video-folder-input" onChange={(e) => pick(e.currentTarget.files)} />
        </label>
        {state && <button onClick={() => videoModel.unload()}>Unload</button>}
      </div>
    </section>
  );
}
