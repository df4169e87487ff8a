// Public API of text/: the CLIP BPE tokenizer (tokenizer.ts) and its vocabulary readers.
export { ClipTokenizer, CLIP_CONTEXT_LENGTH, CLIP_BOS_TOKEN, CLIP_EOS_TOKEN } from './tokenizer.ts';
export type { TokenizedText, ClipTokenizerOptions, TokenizeOptions } from './tokenizer.ts';
export { TEXT_CLEANUPS } from './clean.ts';
export type { TextCleanup } from './clean.ts';
export { byteToUnicode, baseSymbolsInVocabOrder, END_OF_WORD } from './bpe.ts';
export { CLIP_MERGE_COUNT } from './tokenizer-files.ts';
