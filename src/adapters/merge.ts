/**
 * Folding an adapter into a dense weight, for exporting a merged model: W [out, in] += scale·B·A with
 * A [r, in] and B [out, r] (DoRA: then each row scaled to its magnitude). Each output row is accumulated in
 * float64 and added once, so the result does not depend on r's summation order in f32.
 */
import { HOST_FIELDS, type HostLayerWeights, type HostWeights } from '../model/reference-forward';
import { ia3Side, validateIa3Adapter, type Ia3Adapter } from './ia3-weights';
import { adapterScale, type LoraAdapter, type LoraPair, validateLoraAdapter } from './lora-weights';

/** W += scale·B·A in place; returns `weight`. `dims` gives W's shape; r is A's row count. */
export function mergeIntoDense(
  weight: Float32Array,
  a: Float32Array,
  b: Float32Array,
  scale: number,
  dims: { outFeatures: number; inFeatures: number },
): Float32Array {
  const { outFeatures: out, inFeatures: cols } = dims;
  const r = a.length / cols;
  if (weight.length !== out * cols || !Number.isSafeInteger(r) || r <= 0 || b.length !== out * r) {
    throw new RangeError(
      `mergeIntoDense: W has ${weight.length} values for [${out}, ${cols}], A ${a.length} (r ${r}), B ${b.length}; ` +
        'expected A [r, in] and B [out, r]',
    );
  }
  const row = new Float64Array(cols);
  for (let o = 0; o < out; o++) {
    row.fill(0);
    for (let k = 0; k < r; k++) {
      const bk = b[o * r + k];
      if (bk === 0) continue;
      const at = k * cols;
      for (let c = 0; c < cols; c++) row[c] += bk * a[at + c];
    }
    const at = o * cols;
    for (let c = 0; c < cols; c++) weight[at + c] += scale * row[c];
  }
  return weight;
}

/**
 * One adapter pair merged into its projection's weight: W + scale·B·A, and with a DoRA magnitude each row then
 * rescaled to m_j / ‖row_j‖ (PEFT's DoRA merge; the bias is not part of the row and stays as it is).
 */
export function mergePairIntoDense(weight: Float32Array, pair: LoraPair, scale: number): Float32Array {
  mergeIntoDense(weight, pair.a, pair.b, scale, pair);
  const m = pair.magnitude;
  if (!m) return weight;
  const cols = pair.inFeatures;
  for (let o = 0; o < pair.outFeatures; o++) {
    let sum = 0;
    for (let c = 0; c < cols; c++) sum += weight[o * cols + c] ** 2;
    const factor = m[o] / Math.sqrt(sum);
    for (let c = 0; c < cols; c++) weight[o * cols + c] *= factor;
  }
  return weight;
}


/**
 * The base's dense host weights with the adapter folded in (a merged model, or the CPU reference of an adapted
 * forward). Adapted projections are new arrays; everything else is shared with `host`. The adapter's q/k rows
 * must be in the base's layout (`adaptToBase`).
 */
export function mergeAdapterIntoHostWeights(host: HostWeights, adapter: LoraAdapter): HostWeights {
  validateLoraAdapter(adapter);
  if (adapter.layers.length !== host.layers.length) {
    throw new RangeError(`mergeAdapterIntoHostWeights: the adapter has ${adapter.layers.length} layers, the base ${host.layers.length}`);
  }
  const scale = adapterScale(adapter.config);
  const layers = host.layers.map((hostLayer, l) => {
    const merged: HostLayerWeights = { ...hostLayer };
    for (const t of adapter.config.targets) {
      const field = HOST_FIELDS[t];
      merged[field] = mergePairIntoDense(hostLayer[field].slice(), adapter.layers[l][t]!, scale);
    }
    return merged;
  });
  return { ...host, layers };
}

const HOST_BIASES = { q: 'bq', k: 'bk', v: 'bv' } as const;

/**
 * IA³ folded into the base's dense host weights, as PEFT's IA3 merge does: an output-side vector scales W's rows
 * (and the projection's bias), a feed-forward module's vector scales W's columns. The adapter's q/k vectors must
 * be in the base's layout (`ia3OnBase`).
 */
export function mergeIa3IntoHostWeights(host: HostWeights, adapter: Ia3Adapter): HostWeights {
  validateIa3Adapter(adapter);
  if (adapter.layers.length !== host.layers.length) {
    throw new RangeError(`mergeIa3IntoHostWeights: the adapter has ${adapter.layers.length} layers, the base ${host.layers.length}`);
  }
  const layers = host.layers.map((hostLayer, l) => {
    const merged: HostLayerWeights = { ...hostLayer };
    for (const t of adapter.config.targets) {
      const field = HOST_FIELDS[t];
      const w = hostLayer[field];
      const v = adapter.layers[l][t]!;
      const cols = w.length / (ia3Side(adapter.config, t) === 'input' ? 1 : v.length);
      merged[field] =
        ia3Side(adapter.config, t) === 'input' ? w.map((x, i) => x * v[i % v.length]) : w.map((x, i) => x * v[Math.floor(i / cols)]);
      const biasField = t in HOST_BIASES ? HOST_BIASES[t as keyof typeof HOST_BIASES] : null;
      const bias = biasField ? hostLayer[biasField] : undefined;
      if (biasField && bias && ia3Side(adapter.config, t) === 'output') merged[biasField] = bias.map((x, i) => x * v[i]);
    }
    return merged;
  });
  return { ...host, layers };
}
