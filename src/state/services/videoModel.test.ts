/**
 * The video memory model's service with its worker loader as a port (the real loader and worker are driven by
 * e2e/sam2-video.spec.ts): what it hands the loader, the store's `videoModel` through loading, ready and failure,
 * the model id masks record, and a later load or an unload winning over one still loading.
 */
import { describe, expect, it } from 'vitest';
import { AppError } from '../../core/errors.ts';
import type { Sam2VideoFiles } from '../../inference/sam2Video.ts';
import type { Sam2VideoSource } from '../../../workers/protocol.ts';
import { testStore } from '../test/fakeDeps.ts';
import { sam2VideoUrls, VideoModelService, type VideoModelLoader } from './videoModel.ts';

/** A loader answering each load when told to: the graphs told apart by their names, as the worker does. */
class FakeLoader implements VideoModelLoader {
  loads: { sources: Sam2VideoSource[]; resolve: (f: Sam2VideoFiles) => void; reject: (e: unknown) => void }[] = [];
  unloads = 0;
  load(sources: Sam2VideoSource[]): Promise<Sam2VideoFiles> {
    return new Promise((resolve, reject) => this.loads.push({ sources, resolve, reject }));
  }
  unload(): void {
    this.unloads++;
  }
  /** answers load `i` with its sources' names as the exporter names the graphs */
  answer(i = this.loads.length - 1): void {
    const names = this.loads[i]!.sources.map((s) => s.name);
    const by = (stem: string) => names.find((n) => n.endsWith(`${stem}.onnx`))!;
    this.loads[i]!.resolve({
      encoder: by('image_encoder'),
      decoder: by('image_decoder'),
      memoryAttention: by('memory_attention'),
      memoryEncoder: by('memory_encoder'),
    } as Sam2VideoFiles);
  }
}

const GRAPHS = ['image_encoder', 'image_decoder', 'memory_attention', 'memory_encoder'];
const file = (path: string) => {
  const f = new File([new Uint8Array([1])], path.split('/').pop()!);
  Object.defineProperty(f, 'webkitRelativePath', { value: path.includes('/') ? path : '' });
  return f;
};

function setup() {
  const t = testStore();
  const loader = new FakeLoader();
  const service = new VideoModelService({ store: t.store, loader });
  return { s: () => t.store.getState(), loader, service };
}

describe('VideoModelService', () => {
  it("loads a picked folder's .onnx files (other files left out), ready with which file is which and the folder's model id", async () => {
    const { s, loader, service } = setup();
    const picked = [...GRAPHS.map((g) => file(`sam2.1_hiera_tiny/${g}.onnx`)), file('sam2.1_hiera_tiny/README.md')];
    const loaded = service.loadFiles(picked);
    expect(s().videoModel).toMatchObject({ status: 'loading' });
    expect(loader.loads[0]!.sources.map((x) => x.name)).toEqual(GRAPHS.map((g) => `sam2.1_hiera_tiny/${g}.onnx`));
    loader.answer();
    expect(await loaded).toBe(true);
    expect(s().videoModel).toEqual({
      status: 'ready',
      source: GRAPHS.map((g) => `sam2.1_hiera_tiny/${g}.onnx`).join(', '),
      files: {
        encoder: 'sam2.1_hiera_tiny/image_encoder.onnx',
        decoder: 'sam2.1_hiera_tiny/image_decoder.onnx',
        memoryAttention: 'sam2.1_hiera_tiny/memory_attention.onnx',
        memoryEncoder: 'sam2.1_hiera_tiny/memory_encoder.onnx',
      },
      id: 'sam2-video:sam2.1_hiera_tiny',
    });
  });

  it('four loose files: the id is the encoder file without .onnx', async () => {
    const { s, loader, service } = setup();
    const loaded = service.loadFiles(GRAPHS.map((g) => file(`${g}.onnx`)));
    loader.answer();
    expect(await loaded).toBe(true);
    expect(s().videoModel?.id).toBe('sam2-video:image_encoder');
  });

  it("a folder URL (?sam2video=) names the exporter's four files in it; the id is the URL's folder", async () => {
    const { s, loader, service } = setup();
    expect(sam2VideoUrls('/models/sam2.1 small/', 'http://h/app/')).toEqual(GRAPHS.map((g) => `http://h/models/sam2.1%20small/${g}.onnx`));
    expect(sam2VideoUrls('a.onnx, b/c.onnx', 'http://h/app/')).toEqual(['http://h/app/a.onnx', 'http://h/app/b/c.onnx']);
    const loaded = service.loadUrl('/models/sam2.1 small/', 'http://h/app/');
    expect(loader.loads[0]!.sources).toEqual(GRAPHS.map((g) => ({ name: `${g}.onnx`, url: `http://h/models/sam2.1%20small/${g}.onnx` })));
    loader.answer();
    expect(await loaded).toBe(true);
    expect(s().videoModel).toMatchObject({ status: 'ready', source: '/models/sam2.1 small/', id: 'sam2-video:sam2.1 small' });
  });

  it('a pick without .onnx files, or graphs the worker refuses: an error in the state and a message, nothing loaded', async () => {
    const { s, loader, service } = setup();
    expect(await service.loadFiles([file('notes.txt')])).toBe(false);
    expect(loader.loads).toHaveLength(0);
    expect(s().videoModel).toMatchObject({ status: 'error', error: 'No .onnx file was picked.', hint: /image_encoder/ });

    const loaded = service.loadFiles(GRAPHS.slice(0, 3).map((g) => file(`${g}.onnx`)));
    loader.loads[0]!.reject(new AppError('MODEL_SIGNATURE', 'No file is a memory encoder.', 'Pick all four graphs.'));
    expect(await loaded).toBe(false);
    expect(s().videoModel).toMatchObject({ status: 'error', error: 'No file is a memory encoder.', hint: 'Pick all four graphs.' });
    expect(s().notifications.at(-1)).toMatchObject({
      level: 'error',
      message: /video memory model was not loaded: No file is a memory encoder/,
    });
  });

  it('a later load, or an unload, wins over a load still going: its answer changes nothing', async () => {
    const { s, loader, service } = setup();
    const first = service.loadFiles(GRAPHS.map((g) => file(`old/${g}.onnx`)));
    const second = service.loadFiles(GRAPHS.map((g) => file(`new/${g}.onnx`)));
    loader.answer(1);
    expect(await second).toBe(true);
    loader.answer(0);
    expect(await first).toBe(false);
    expect(s().videoModel?.id).toBe('sam2-video:new');

    const third = service.loadFiles(GRAPHS.map((g) => file(`third/${g}.onnx`)));
    service.unload();
    expect(loader.unloads).toBe(1);
    expect(s().videoModel).toBeNull();
    loader.loads[2]!.reject(new Error('terminated'));
    expect(await third).toBe(false);
    expect(s().videoModel).toBeNull();
  });
});
