// One feature map of the Evaluation page: the features it embeds, the colour of each
// point, the silhouette scores beside it and the point nearest to a click.
import { describe, expect, it } from "vitest";
import { mapColouring, mapFeatures, mapScores, nearestPoint } from "../../../src/lib/project/feature-map.js";
import type { DetectorFeatures } from "../../../src/lib/project/features.js";
import { silhouetteByAu, silhouetteByIdentity } from "../../../src/lib/project/silhouette.js";

// 3 faces, 2 AUs, node width 2, token width 3: node value = 100 face + 10 AU + channel.
const f: DetectorFeatures = {
  count: 3,
  numAus: 2,
  nodeChannels: 2,
  tokenChannels: 3,
  nodes: Float32Array.from({ length: 12 }, (_, k) => 100 * Math.floor(k / 4) + 10 * (Math.floor(k / 2) % 2) + (k % 2)),
  tokens: Float32Array.from({ length: 9 }, (_, k) => -k),
  probs: new Float32Array(6),
};
const faces = {
  count: 4,
  aus: [6, 12],
  labels: Float32Array.from([1, 0, 1, 1, 0, 0, 0, 1]),
  subjects: ["F001", "F001", "M002", "M002"],
  occludedFraction: Float32Array.from([0.1, 0.3, 0.5, 0.703]),
};

describe("mapFeatures", () => {
  it("takes one AU's node features, all of them, or the pooled tokens", () => {
    expect(mapFeatures(f, "au-node", 1)).toEqual({ data: Float32Array.from([10, 11, 110, 111, 210, 211]), n: 3, d: 2 });
    expect(mapFeatures(f, "all-nodes", 0)).toEqual({ data: f.nodes, n: 3, d: 4 });
    expect(mapFeatures(f, "tokens", 0)).toEqual({ data: f.tokens, n: 3, d: 3 });
    expect(() => mapFeatures(f, "au-node", 2)).toThrow(/AU node 2/);
    expect(() => mapFeatures(f, "pixels" as never, 0)).toThrow(/au-node, all-nodes or tokens/);
  });
});

describe("mapColouring", () => {
  it("colours by the picked AU's label, the subject or the share occluded (%)", () => {
    expect(mapColouring(faces, "au", 1)).toEqual({ kind: "categorical", label: "AU12 (label)", values: ["AU12 off", "AU12 on", "AU12 off", "AU12 on"], domain: ["AU12 off", "AU12 on"] });
    expect(mapColouring(faces, "identity", 0)).toEqual({ kind: "categorical", label: "identity", values: faces.subjects, domain: ["F001", "M002"] });
    const ratio = mapColouring(faces, "ratio", 0);
    expect(ratio).toMatchObject({ kind: "continuous", domain: [0, 70.3] });
    expect(ratio.values).toEqual([10, 30, 50, 70.3]);
    expect(() => mapColouring(faces, "au", 2)).toThrow(/AU index 2/);
  });
});

describe("mapScores", () => {
  it("scores the map by every AU's state and by identity", () => {
    const points = Float32Array.from([0, 0, 0, 1, 5, 5, 5, 6]);
    const s = mapScores(points, faces);
    expect(s.byAu).toEqual(silhouetteByAu(points, 4, 2, faces.labels, 2));
    expect(s.identity).toBe(silhouetteByIdentity(points, 4, 2, faces.subjects));
    // Subjects sit in two tight, far clusters.
    expect(s.identity).toBeGreaterThan(0.8);
  });
});

describe("nearestPoint", () => {
  const pts = [0, 0, 10, 0, 10, 10, 10, 0];
  it("finds the nearest point within the distance, the lower index on a tie, -1 beyond it", () => {
    expect(nearestPoint(pts, 9, 9)).toBe(2);
    expect(nearestPoint(pts, 10, 0)).toBe(1);
    expect(nearestPoint(pts, 1, 1, 2)).toBe(0);
    expect(nearestPoint(pts, 5, 5, 3)).toBe(-1);
    expect(nearestPoint([], 0, 0)).toBe(-1);
  });
});
