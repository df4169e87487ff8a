// Plain tensors crossing layers: { dtype, shape, data } with a typed array, no ORT (style.md "Tensors").
// Leaf module: imports nothing.

export const DTYPES = ['float32', 'float16', 'float64', 'int64', 'int32', 'uint8', 'bool'] as const;
export type DType = (typeof DTYPES)[number];

export interface DataByDType {
  float32: Float32Array;
  float16: Uint16Array;
  /** Only for the engine's float64 gradient-check mode. */
  float64: Float64Array;
  int64: BigInt64Array;
  int32: Int32Array;
  uint8: Uint8Array;
  bool: Uint8Array;
}

export interface Tensor<D extends DType = DType> {
  readonly dtype: D;
  readonly shape: readonly number[];
  readonly data: DataByDType[D];
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

const DTYPE_BYTES: Readonly<Record<DType, number>> = { float32: 4, float16: 2, float64: 8, int64: 8, int32: 4, uint8: 1, bool: 1 };

/** Bytes of a tensor (or of a value of that dtype and shape) as stored. */
export function byteSize(t: { readonly dtype: DType; readonly shape: readonly number[] }): number {
  return numel(t.shape) * DTYPE_BYTES[t.dtype];
}

export function tensor<D extends DType>(dtype: D, shape: readonly number[], data: DataByDType[D]): Tensor<D> {
  if (data.length !== numel(shape)) {
    throw new RangeError(`tensor data has ${data.length} elements, shape [${shape.join(', ')}] needs ${numel(shape)}`);
  }
  return { dtype, shape: [...shape], data };
}

export function float32(shape: readonly number[], data?: Float32Array | readonly number[]): Tensor<'float32'> {
  const arr = data === undefined ? new Float32Array(numel(shape)) : data instanceof Float32Array ? data : Float32Array.from(data);
  return tensor('float32', shape, arr);
}

export function int64(shape: readonly number[], data: BigInt64Array | readonly (number | bigint)[]): Tensor<'int64'> {
  const arr = data instanceof BigInt64Array ? data : BigInt64Array.from(data, (v) => BigInt(v));
  return tensor('int64', shape, arr);
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
