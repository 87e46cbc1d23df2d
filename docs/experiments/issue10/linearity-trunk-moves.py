# Between-task agreement of make linearity per fraction, with and without the
# retrains whose shared trunk moved more than 3x the median move (basin jumps).
import json, struct, sys, glob, numpy as np
def load(p):
    f = open(p, 'rb'); n = struct.unpack('<Q', f.read(8))[0]; h = json.loads(f.read(n)); data = f.read()
    return {k: np.frombuffer(data[v['data_offsets'][0]:v['data_offsets'][1]], dtype=np.float64)
            for k, v in h.items() if k != '__metadata__'}
run, lin, retrains, solver = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
full = load(f'{run}/params.safetensors')
trunk = [k for k in full if k.startswith('shared')]
for fraction in sys.argv[5:]:
    pairs = [json.loads(l) for l in open(f'{lin}/pairs-{solver}-{fraction}.ndjson') if '"pair"' in l]
    kind = 'loto' if fraction == '1' else 'group'
    moves = {}
    for p in glob.glob(f'{retrains}/retrain-{fraction}/{kind}-*.safetensors'):
        if p.endswith('step.safetensors'): continue
        w = load(p); task = p.split(f'{kind}-')[-1].split('.')[0]
        moves[task] = np.sqrt(sum(np.sum((w[k] - full[k]) ** 2) for k in trunk))
    median = np.median(list(moves.values()))
    jumped = sorted(t for t, m in moves.items() if m > 3 * median)
    def r(ps):
        a = np.array([p['predicted'] for p in ps]); b = np.array([p['actual'] for p in ps])
        return np.corrcoef(a, b)[0, 1], np.dot(a, b) / np.dot(a, a)
    between = [p for p in pairs if p['scope'] == 'between_task']
    kept = [p for p in between if p['source'] not in jumped]
    ra, sa = r(between); rk, sk = r(kept)
    print(json.dumps({'fraction': float(fraction), 'between_pearson': round(ra, 3), 'slope': round(sa, 2),
                      'median_trunk_move': round(median, 3), 'jumped': {t: round(moves[t], 2) for t in jumped},
                      'between_pearson_without_jumps': round(rk, 3), 'slope_without_jumps': round(sk, 2), 'pairs_without_jumps': len(kept)}))
