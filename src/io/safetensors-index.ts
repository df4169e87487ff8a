// Sharded safetensors (`*.safetensors.index.json`, as transformers/diffusers write them): {metadata, weight_map:
// {tensor name: shard file name}}. Shards open lazily; the set reads like one file through TensorSource.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { InputError, type Problem } from '../errors.ts';
import { openSafetensors, type SafetensorsInfo, type StoredTensor, type TensorSource } from './safetensors.ts';

class ShardedSafetensors implements TensorSource {
  readonly path: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly #weightMap: ReadonlyMap<string, string>;
  readonly #shards = new Map<string, TensorSource>();

  constructor(path: string, metadata: Record<string, string>, weightMap: Map<string, string>) {
    this.path = path;
    this.metadata = Object.freeze(metadata);
    this.#weightMap = weightMap;
  }

  #shardOf(name: string): TensorSource {
    const shard = this.#weightMap.get(name);
    if (shard === undefined) {
      throw new InputError({ what: `no tensor named '${name}' in weight_map`, where: this.path, fix: 'check the weight name (names() lists them)' });
    }
    let file = this.#shards.get(shard);
    if (!file) {
      file = openSafetensors(join(dirname(this.path), shard));
      this.#shards.set(shard, file);
    }
    if (!file.has(name)) {
      throw new InputError({ what: `weight_map sends '${name}' to ${shard}, which does not hold it`, where: this.path, fix: 're-download or re-export the model (index and shards disagree)' });
    }
    return file;
  }

  names(): readonly string[] {
    return [...this.#weightMap.keys()];
  }
  has(name: string): boolean {
    return this.#weightMap.has(name);
  }
  info(name: string): SafetensorsInfo {
    return this.#shardOf(name).info(name);
  }
  read(name: string): StoredTensor {
    return this.#shardOf(name).read(name);
  }
  readFloat32(name: string): Float32Array {
    return this.#shardOf(name).readFloat32(name);
  }
  close(): void {
    for (const file of this.#shards.values()) file.close();
    this.#shards.clear();
  }
}

/**
 * Opens a sharded checkpoint through its index file; shards are opened on first use and closed by close().
 * @param indexPath e.g. `unet/diffusion_pytorch_model.safetensors.index.json`
 * @throws InputError naming the index file when it is unreadable, not JSON, or has no valid weight_map
 */
export function openSafetensorsIndex(indexPath: string): TensorSource {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(indexPath, 'utf8'));
  } catch (e) {
    throw new InputError(
      { what: `cannot read the shard index (${e instanceof Error ? e.message : String(e)})`, where: indexPath, fix: 'check the path, or re-download the model' },
      { cause: e },
    );
  }
  const problems: Problem[] = [];
  const weightMap = new Map<string, string>();
  const raw = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>)['weight_map'] : undefined;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    problems.push({ what: 'no weight_map object', where: indexPath, fix: 'pass a *.safetensors.index.json written by transformers/diffusers' });
  } else {
    for (const [name, shard] of Object.entries(raw)) {
      if (typeof shard !== 'string' || shard.includes('/') || shard.includes('\\')) {
        problems.push({ what: `weight_map entry ${JSON.stringify(shard)} is not a shard file name`, where: `${indexPath} → weight_map.${name}`, fix: 'repair the index file' });
      } else {
        weightMap.set(name, shard);
      }
    }
  }
  if (problems.length > 0) throw new InputError(problems);
  const meta = (parsed as Record<string, unknown>)['metadata'];
  const metadata: Record<string, string> = {};
  if (typeof meta === 'object' && meta !== null) {
    for (const [k, v] of Object.entries(meta)) metadata[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return new ShardedSafetensors(indexPath, metadata, weightMap);
}
