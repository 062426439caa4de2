/**
 * Every user action, declared once: its label, its keys, when it is enabled and what it does. The
 * toolbar, the keyboard handler and the `?` list of keys are made from this table.
 */
import type { StoreState } from './store.ts';
import type { Tool } from './slices/editor.ts';

export interface KeyBinding {
  /** `KeyboardEvent.key` */
  key: string;
  ctrl?: boolean;
  /** required state of Shift; absent: either */
  shift?: boolean;
}

/** What actions may ask of the views (dialogs live there). */
export interface ActionUi {
  toggleHelp(): void;
  exportCoco(): void;
  openCategoryPicker(): void;
  /** fit the image to the window, or 100 % */
  zoom(kind: 'fit' | 'actual'): void;
  /** video: propagate the selected track from the shown frame (services/tracking.ts) */
  propagate(direction: 1 | -1): void;
}

export interface Action {
  id: string;
  /** button text */
  label: string;
  /** the line in the list of keys */
  help: string;
  keys: KeyBinding[];
  /** how the keys are written in the list and on buttons */
  keysLabel: string;
  enabled(s: StoreState): boolean;
  perform(s: StoreState, ui: ActionUi, key: KeyboardEvent['key']): void;
  /** shown as a toolbar button */
  toolbar?: boolean;
  /** a toolbar toggle that is on */
  active?(s: StoreState): boolean;
  /** while disabled, its keys keep their browser meaning (Tab moves the focus when there is no candidate) */
  passThrough?: boolean;
}

const always = () => true;
/** the shown image is a frame of a video */
const onFrame = (s: StoreState) =>
  s.currentImageId !== null && s.project.images.find((im) => im.id === s.currentImageId)?.video !== undefined;

function tool(id: Tool, label: string, key: string, help: string): Action {
  return {
    id: `tool-${id}`,
    label,
    help,
    keys: [{ key: key.toLowerCase() }, { key: key.toUpperCase() }],
    keysLabel: key,
    enabled: always,
    perform: (s) => s.setTool(id),
    toolbar: true,
    active: (s) => s.tool === id,
  };
}

const lastLabel = (entries: { label: string }[], at: 'first' | 'last') => {
  const e = at === 'last' ? entries[entries.length - 1] : entries[0];
  return e ? ` ${e.label}` : '';
};

export const ACTIONS: readonly Action[] = [
  tool('points', 'Points', 'P', 'Points tool: left click = foreground, right click or Shift+click = background'),
  tool('box', 'Box', 'B', 'Box tool: drag a box; clicks afterwards add points to the same mask'),
  tool('brush', 'Brush', 'D', 'Brush: paint onto the mask (left button held); on a selected proposal or annotation: fix it'),
  tool('eraser', 'Eraser', 'E', 'Eraser: paint out of the mask'),
  tool('select', 'Select', 'V', 'Select tool: click a mask to select it, again to go through overlapping ones'),
  {
    id: 'accept',
    label: 'Accept',
    help: 'Accept the mask as an annotation of the current category (a selected proposal: accept it as it is and select the next)',
    keys: [{ key: 'Enter' }],
    keysLabel: 'Enter',
    enabled: (s) => s.currentImageId !== null,
    // reviewing a job: Enter accepts the selected mask (a decision), then selects the next one
    perform: (s) => (s.reviewKeysActive() ? s.decideSelected('accept') : void s.accept()),
    toolbar: true,
  },
  {
    id: 'discard',
    label: 'Discard',
    help: 'Discard the mask being drafted',
    keys: [{ key: 'Escape' }],
    keysLabel: 'Esc',
    enabled: always,
    perform: (s) => s.discardPrompts(),
    toolbar: true,
  },
  {
    id: 'undo',
    label: 'Undo',
    help: 'Undo your last step (prompts, strokes, accept, delete, categories); shows the image it was made on',
    keys: [{ key: 'z', ctrl: true, shift: false }],
    keysLabel: 'Ctrl+Z',
    enabled: (s) => s.past.length > 0,
    perform: (s) => s.undo(),
    toolbar: true,
  },
  {
    id: 'redo',
    label: 'Redo',
    help: 'Redo',
    keys: [
      { key: 'z', ctrl: true, shift: true },
      { key: 'Z', ctrl: true, shift: true },
      { key: 'y', ctrl: true },
    ],
    keysLabel: 'Ctrl+Shift+Z, Ctrl+Y',
    enabled: (s) => s.future.length > 0,
    perform: (s) => s.redo(),
    toolbar: true,
  },
  {
    id: 'next-image',
    label: 'Next image',
    help: 'Next image',
    keys: [{ key: 'ArrowRight', shift: false }],
    keysLabel: '→',
    enabled: (s) => s.project.images.length > 1,
    perform: (s) => s.stepImage(1),
  },
  {
    id: 'previous-image',
    label: 'Previous image',
    help: 'Previous image',
    keys: [{ key: 'ArrowLeft', shift: false }],
    keysLabel: '←',
    enabled: (s) => s.project.images.length > 1,
    perform: (s) => s.stepImage(-1),
  },
  {
    id: 'next-todo',
    label: 'Next image to do',
    help: 'Next image that is not done (Shift+←: previous)',
    keys: [{ key: 'ArrowRight', shift: true }],
    keysLabel: 'Shift+→',
    enabled: (s) => s.project.images.length > 0,
    perform: (s) => s.stepTodo(1),
  },
  {
    id: 'previous-todo',
    label: 'Previous image to do',
    help: 'Previous image that is not done',
    keys: [{ key: 'ArrowLeft', shift: true }],
    keysLabel: 'Shift+←',
    enabled: (s) => s.project.images.length > 0,
    perform: (s) => s.stepTodo(-1),
  },
  {
    id: 'mark-done',
    label: 'Mark done',
    help: 'Mark this image done and go to the next one not done (again: not done)',
    keys: [{ key: 'Enter', ctrl: true }],
    keysLabel: 'Ctrl+Enter',
    enabled: (s) => s.currentImageId !== null,
    perform: (s) => {
      const im = s.project.images.find((x) => x.id === s.currentImageId);
      if (!im) return;
      s.setImageDone(im.id, !im.done);
      if (!im.done) s.stepTodo(1);
    },
  },
  {
    id: 'category',
    label: 'Category 1–9',
    help: 'Choose category 1 to 9 (with an annotation or proposal selected: change its category)',
    keys: ['1', '2', '3', '4', '5', '6', '7', '8', '9'].map((key) => ({ key })),
    keysLabel: '1 – 9',
    enabled: always,
    perform: (s, _ui, key) => s.setCategoryByIndex(Number(key) - 1),
  },
  {
    id: 'category-picker',
    label: 'Find category',
    help: 'Category picker: type to filter among all categories, Enter to choose (with an annotation selected: change its category)',
    keys: [{ key: 'c' }, { key: 'C' }],
    keysLabel: 'C',
    enabled: (s) => s.project.categories.length > 0,
    perform: (_s, ui) => ui.openCategoryPicker(),
  },
  {
    id: 'delete',
    label: 'Delete',
    help: 'Delete the selected annotation (reject the selected proposal; reviewing a job: reject the mask, with a comment)',
    keys: [{ key: 'Delete' }, { key: 'Backspace' }],
    keysLabel: 'Delete',
    enabled: (s) => s.selectedAnnotationId !== null,
    perform: (s) => {
      if (s.reviewKeysActive()) s.startReject();
      else if (s.selectedAnnotationId !== null) s.deleteAnnotation(s.selectedAnnotationId);
    },
  },
  {
    id: 'next-job-image',
    label: 'Next image of the job',
    help: 'Next image of your job on the project server (Shift: the previous one)',
    keys: [{ key: 'j', shift: false }],
    keysLabel: 'J',
    enabled: (s) => s.jobFocus !== null,
    perform: (s) => s.stepJobImage(1),
  },
  {
    id: 'previous-job-image',
    label: 'Previous image of the job',
    help: 'Previous image of your job',
    keys: [{ key: 'J', shift: true }],
    keysLabel: 'Shift+J',
    enabled: (s) => s.jobFocus !== null,
    perform: (s) => s.stepJobImage(-1),
  },
  {
    id: 'next-candidate',
    label: 'Next candidate',
    help: "Next of SAM's mask candidates (after one click or a box alone): whole, part, sub-part",
    keys: [{ key: 'Tab', shift: false }],
    keysLabel: 'Tab',
    enabled: (s) => s.candidates.length > 1,
    perform: (s) => s.cycleCandidate(1),
    passThrough: true,
  },
  {
    id: 'previous-candidate',
    label: 'Previous candidate',
    help: "Previous of SAM's mask candidates",
    keys: [{ key: 'Tab', shift: true }],
    keysLabel: 'Shift+Tab',
    enabled: (s) => s.candidates.length > 1,
    perform: (s) => s.cycleCandidate(-1),
    passThrough: true,
  },
  {
    id: 'next-proposal',
    label: 'Next proposal',
    help: 'Next proposal of this image to review',
    keys: [{ key: 'n', shift: false }],
    keysLabel: 'N',
    enabled: always,
    perform: (s) => s.stepProposal(1),
  },
  {
    id: 'previous-proposal',
    label: 'Previous proposal',
    help: 'Previous proposal of this image to review',
    keys: [{ key: 'N', shift: true }],
    keysLabel: 'Shift+N',
    enabled: always,
    perform: (s) => s.stepProposal(-1),
  },
  {
    id: 'brush-smaller',
    label: 'Smaller brush',
    help: 'Brush size smaller',
    keys: [{ key: '[' }],
    keysLabel: '[',
    enabled: always,
    perform: (s) => s.setBrushRadius(s.brushRadius / 1.25),
  },
  {
    id: 'brush-larger',
    label: 'Larger brush',
    help: 'Brush size larger',
    keys: [{ key: ']' }],
    keysLabel: ']',
    enabled: always,
    perform: (s) => s.setBrushRadius(s.brushRadius * 1.25),
  },
  {
    id: 'zoom-fit',
    label: 'Fit',
    help: 'Fit the image to the window',
    keys: [{ key: 'f' }, { key: 'F' }],
    keysLabel: 'F',
    enabled: (s) => s.currentImageId !== null,
    perform: (_s, ui) => ui.zoom('fit'),
  },
  {
    id: 'zoom-actual',
    label: '1:1',
    help: 'Zoom to 100 % (one image pixel, one screen pixel), centred where the view is',
    keys: [{ key: '0' }],
    keysLabel: '0',
    enabled: (s) => s.currentImageId !== null,
    perform: (_s, ui) => ui.zoom('actual'),
  },
  {
    id: 'export-coco',
    label: 'Export COCO',
    help: 'Download the project as COCO JSON (compressed RLE)',
    keys: [],
    keysLabel: '',
    enabled: always,
    perform: (_s, ui) => ui.exportCoco(),
  },
  {
    id: 'next-frame',
    label: 'Next frame',
    help: 'Video: the next frame of the clip',
    keys: [{ key: '.' }],
    keysLabel: '.',
    enabled: onFrame,
    perform: (s) => s.stepFrame(1),
  },
  {
    id: 'previous-frame',
    label: 'Previous frame',
    help: 'Video: the previous frame of the clip',
    keys: [{ key: ',' }],
    keysLabel: ',',
    enabled: onFrame,
    perform: (s) => s.stepFrame(-1),
  },
  {
    id: 'play',
    label: 'Play',
    help: 'Video: play or pause the clip',
    keys: [{ key: 'k' }, { key: 'K' }],
    keysLabel: 'K',
    enabled: onFrame,
    perform: (s) => s.setPlaying(!s.playing),
  },
  {
    id: 'propagate-forward',
    label: 'Propagate ▶',
    help: 'Video: propagate the selected track forward from the shown frame, up to its next keyframe',
    keys: [{ key: 't', shift: false }],
    keysLabel: 'T',
    enabled: (s) => onFrame(s) && s.selectedTrackId !== null,
    perform: (_s, ui) => ui.propagate(1),
  },
  {
    id: 'propagate-backward',
    label: '◀ Propagate',
    help: 'Video: propagate the selected track backward from the shown frame, up to its previous keyframe',
    keys: [{ key: 'T', shift: true }],
    keysLabel: 'Shift+T',
    enabled: (s) => onFrame(s) && s.selectedTrackId !== null,
    perform: (_s, ui) => ui.propagate(-1),
  },
  {
    id: 'help',
    label: 'Keys',
    help: 'Show or hide this list of keys',
    keys: [{ key: '?' }],
    keysLabel: '?',
    enabled: always,
    perform: (_s, ui) => ui.toggleHelp(),
  },
];

/** Gestures on the canvas (not actions, but in the list of keys). */
export const GESTURES: readonly { keysLabel: string; help: string }[] = [
  { keysLabel: 'Hold H', help: 'Hide every mask while held (peek at the photo)' },
  { keysLabel: 'Click a mask', help: 'Select it (points tool with nothing drafted, or V); again: the next one under the pointer' },
  { keysLabel: 'Alt+click', help: 'A point even over an accepted mask' },
  { keysLabel: 'Wheel', help: 'Zoom at the cursor' },
  { keysLabel: 'Space + drag, middle drag', help: 'Pan' },
];

/** The button text of undo/redo names the step ("Undo accept"). */
export function actionLabel(a: Action, s: StoreState): string {
  if (a.id === 'undo') return `Undo${lastLabel(s.past, 'last')}`;
  if (a.id === 'redo') return `Redo${lastLabel(s.future, 'first')}`;
  return a.label;
}

/** The action a key press triggers, if any (Alt is never ours; Ctrl/Cmd only where bound). */
export function actionForKey(e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'shiftKey' | 'altKey'>): Action | null {
  if (e.altKey) return null;
  const ctrl = e.ctrlKey || e.metaKey;
  for (const a of ACTIONS) {
    for (const k of a.keys) {
      if (k.key !== e.key || !!k.ctrl !== ctrl) continue;
      if (k.shift !== undefined && k.shift !== e.shiftKey) continue;
      return a;
    }
  }
  return null;
}
