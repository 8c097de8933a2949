//! Clustering accepted pairs into persons, strongest links first, guarded against chaining:
//! two clusters merge only if the scored pairs between them agree more than they contradict,
//! and two clusters of several records each need two accepted links or one strong link.

/// A scored candidate pair; `w` is the match weight in bits (log2 odds).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Edge {
    pub a: u32,
    pub b: u32,
    pub w: f32,
}

#[derive(Debug, Clone, Copy)]
pub struct Params {
    /// Pairs at or above this weight are accepted links.
    pub accept: f32,
    /// Pairs below this weight contradict a merge.
    pub reject: f32,
    /// A link this strong may join two multi-record clusters on its own.
    pub strong: f32,
}

fn find(parent: &mut [u32], mut x: u32) -> u32 {
    while parent[x as usize] != x {
        let p = parent[x as usize];
        parent[x as usize] = parent[p as usize];
        x = p;
    }
    x
}

/// Cluster index (the smallest record index in the cluster) of each of `n` records.
pub fn cluster(n: usize, edges: &[Edge], params: Params) -> Vec<u32> {
    // Adjacency of every scored pair, for the coherence check.
    let mut deg = vec![0u32; n + 1];
    for e in edges {
        deg[e.a as usize + 1] += 1;
        deg[e.b as usize + 1] += 1;
    }
    for i in 0..n {
        deg[i + 1] += deg[i];
    }
    let mut fill = deg.clone();
    let mut adj = vec![(0u32, 0f32); edges.len() * 2];
    for e in edges {
        adj[fill[e.a as usize] as usize] = (e.b, e.w);
        fill[e.a as usize] += 1;
        adj[fill[e.b as usize] as usize] = (e.a, e.w);
        fill[e.b as usize] += 1;
    }
    let neighbours = |i: u32| &adj[deg[i as usize] as usize..deg[i as usize + 1] as usize];

    let mut accepted: Vec<&Edge> = edges.iter().filter(|e| e.w >= params.accept).collect();
    accepted.sort_by(|x, y| y.w.total_cmp(&x.w).then((x.a, x.b).cmp(&(y.a, y.b))));

    let mut parent: Vec<u32> = (0..n as u32).collect();
    let mut members: Vec<Vec<u32>> = (0..n as u32).map(|i| vec![i]).collect();
    for e in accepted {
        let (ra, rb) = (find(&mut parent, e.a), find(&mut parent, e.b));
        if ra == rb {
            continue;
        }
        let (sa, sb) = (members[ra as usize].len(), members[rb as usize].len());
        if sa > 1 || sb > 1 {
            let (small, other) = if sa <= sb { (ra, rb) } else { (rb, ra) };
            let (mut pos, mut neg) = (0u32, 0u32);
            for &x in &members[small as usize] {
                for &(y, w) in neighbours(x) {
                    if find(&mut parent, y) == other {
                        if w >= params.accept {
                            pos += 1;
                        } else if w < params.reject {
                            neg += 1;
                        }
                    }
                }
            }
            if pos <= neg {
                continue;
            }
            if sa > 1 && sb > 1 && pos < 2 && e.w < params.strong {
                continue;
            }
        }
        // Merge the smaller into the larger.
        let (big, small) = if sa >= sb { (ra, rb) } else { (rb, ra) };
        parent[small as usize] = big;
        let moved = std::mem::take(&mut members[small as usize]);
        members[big as usize].extend(moved);
    }
    let mut out = vec![0u32; n];
    let mut root_min = vec![u32::MAX; n];
    for i in 0..n as u32 {
        let r = find(&mut parent, i) as usize;
        root_min[r] = root_min[r].min(i);
    }
    for i in 0..n as u32 {
        let r = find(&mut parent, i) as usize;
        out[i as usize] = root_min[r];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: Params = Params {
        accept: 3.0,
        reject: -4.0,
        strong: 15.0,
    };

    fn e(a: u32, b: u32, w: f32) -> Edge {
        Edge { a, b, w }
    }

    #[test]
    fn accepted_pairs_form_clusters() {
        let c = cluster(5, &[e(0, 1, 10.0), e(1, 2, 8.0), e(3, 4, -5.0)], P);
        assert_eq!(c, vec![0, 0, 0, 3, 4]);
    }

    #[test]
    fn weak_link_does_not_chain_through_a_contradiction() {
        // 0–1 strong, 1–2 weakly accepted, but 0–2 strongly contradicts: 2 stays apart.
        let c = cluster(3, &[e(0, 1, 20.0), e(1, 2, 4.0), e(0, 2, -20.0)], P);
        assert_eq!(c, vec![0, 0, 2]);
    }

    #[test]
    fn two_strong_clusters_need_more_than_one_weak_link() {
        let edges = [e(0, 1, 20.0), e(2, 3, 20.0), e(1, 2, 4.0)];
        assert_eq!(cluster(4, &edges, P), vec![0, 0, 2, 2]);
        // Two accepted links, or one strong link, do merge them.
        let edges = [e(0, 1, 20.0), e(2, 3, 20.0), e(1, 2, 4.0), e(0, 3, 5.0)];
        assert_eq!(cluster(4, &edges, P), vec![0, 0, 0, 0]);
        let edges = [e(0, 1, 20.0), e(2, 3, 20.0), e(1, 2, 16.0)];
        assert_eq!(cluster(4, &edges, P), vec![0, 0, 0, 0]);
    }

    #[test]
    fn every_record_gets_a_cluster() {
        assert_eq!(cluster(0, &[], P), Vec::<u32>::new());
        assert_eq!(cluster(3, &[], P), vec![0, 1, 2]);
    }
}
