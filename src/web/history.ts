// The editor's state with undo/redo: immutable documents, a past and a future stack. A gesture (a drag, a slider)
// previews many documents and commits once, so one undo step undoes the whole gesture.
import type { EditorDoc } from './model.ts';

/** Undo steps kept; older ones are dropped (documents share their pixels, so a step costs little). */
export const HISTORY_LIMIT = 200;

export interface EditorState {
  readonly doc: EditorDoc;
  /** The selected layer id. */
  readonly selected?: string;
}

type Listener = (state: EditorState) => void;

export class EditorStore {
  #state: EditorState;
  #past: EditorState[] = [];
  #future: EditorState[] = [];
  /** The state before the gesture in progress (set by the first preview after a commit). */
  #gestureStart: EditorState | undefined;
  readonly #listeners = new Set<Listener>();

  constructor(doc: EditorDoc) {
    this.#state = { doc };
  }

  get state(): EditorState {
    return this.#state;
  }

  get doc(): EditorDoc {
    return this.#state.doc;
  }

  get canUndo(): boolean {
    return this.#past.length > 0 || this.#gestureStart !== undefined;
  }

  get canRedo(): boolean {
    return this.#future.length > 0;
  }

  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Shows a document during a gesture without an undo step. */
  preview(doc: EditorDoc): void {
    this.#gestureStart ??= this.#state;
    this.#set({ ...this.#state, doc });
  }

  /** Records a change as one undo step (the whole gesture when previews came first). */
  commit(doc: EditorDoc = this.#state.doc): void {
    const before = this.#gestureStart ?? this.#state;
    this.#gestureStart = undefined;
    if (before.doc === doc && this.#state.doc === doc) return;
    this.#past.push(before);
    if (this.#past.length > HISTORY_LIMIT) this.#past.shift();
    this.#future = [];
    this.#set({ ...this.#state, doc });
  }

  /** Replaces the document, forgetting history (opening a file). */
  reset(doc: EditorDoc): void {
    this.#past = [];
    this.#future = [];
    this.#gestureStart = undefined;
    this.#set({ doc, ...(doc.layers[0] === undefined ? {} : { selected: doc.layers[doc.layers.length - 1]!.id }) });
  }

  select(id: string | undefined): void {
    if (id === this.#state.selected) return;
    const { selected: _, ...rest } = this.#state;
    this.#set(id === undefined ? rest : { ...rest, selected: id });
  }

  undo(): void {
    if (this.#gestureStart !== undefined) this.commit();
    const previous = this.#past.pop();
    if (previous === undefined) return;
    this.#future.push(this.#state);
    this.#set(withValidSelection(previous, this.#state.selected));
  }

  redo(): void {
    const next = this.#future.pop();
    if (next === undefined) return;
    this.#past.push(this.#state);
    this.#set(withValidSelection(next, this.#state.selected));
  }

  #set(state: EditorState): void {
    this.#state = state;
    for (const listener of this.#listeners) listener(state);
  }
}

/** Keeps the current selection when the restored document still has that layer. */
function withValidSelection(state: EditorState, selected: string | undefined): EditorState {
  const { selected: _, ...rest } = state;
  const id = selected !== undefined && state.doc.layers.some((l) => l.id === selected) ? selected : state.selected;
  return id === undefined || !state.doc.layers.some((l) => l.id === id) ? rest : { ...rest, selected: id };
}
