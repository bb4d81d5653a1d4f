"""Clustering vectors into groups, with the number of groups chosen automatically."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from fanloop.insights import mining


def _groups(count: int, size: int, dim: int = 32, noise: float = 0.15, seed: int = 1):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(count, dim))
    truth = np.repeat(np.arange(count), size)
    points = centres[truth] + noise * np.sqrt(dim) * rng.normal(size=(len(truth), dim)) / np.sqrt(dim)
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    return points.astype(np.float32), truth


def test_cluster_recovers_well_separated_groups_and_chooses_their_number():
    points, truth = _groups(6, 40)
    result = mining.cluster(points, seed=0)
    assert result.k == 6
    assert adjusted_rand_score(truth, result.labels) == pytest.approx(1.0)
    assert result.labels.dtype == np.int64 and set(result.labels.tolist()) == set(range(6))


def test_cluster_at_a_given_k_and_centroids_are_unit_means_of_the_input_vectors():
    points, truth = _groups(4, 30, noise=0.3)
    result = mining.cluster(points, k=4, seed=0)
    assert result.k == 4 and adjusted_rand_score(truth, result.labels) == pytest.approx(1.0)
    assert result.centroids.shape == (4, 32)
    for label in range(4):
        mean = points[result.labels == label].mean(axis=0)
        np.testing.assert_allclose(result.centroids[label], mean / np.linalg.norm(mean), atol=1e-5)
    # Cluster 0 is the largest; a new point near a group is assigned to that group's centroid.
    sizes = np.bincount(result.labels)
    assert sizes[0] == sizes.max()
    nearest = int(np.argmax(result.centroids @ points[0]))
    assert nearest == result.labels[0]


def test_features_take_part_in_clustering_but_centroids_stay_in_the_vector_space():
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(120, 16)).astype(np.float32)  # no structure at all
    features, truth = _groups(3, 40, dim=8)
    without = mining.cluster(vectors, k=3, seed=0)
    with_features = mining.cluster(vectors, k=3, seed=0, features=features)
    assert adjusted_rand_score(truth, with_features.labels) > 0.9
    assert adjusted_rand_score(truth, without.labels) < 0.2
    assert with_features.centroids.shape == (3, 16)


def test_large_inputs_take_the_approximate_neighbour_path_and_still_find_the_groups(monkeypatch):
    monkeypatch.setattr(mining, "EXACT_NEIGHBOURS_LIMIT", 100)
    monkeypatch.setattr(mining, "_CELL_SIZE", 60)
    points, truth = _groups(5, 60)
    smoothed = mining.smooth(points, seed=0)
    assert smoothed.shape == points.shape
    np.testing.assert_allclose(np.linalg.norm(smoothed, axis=1), 1.0, atol=1e-5)
    result = mining.cluster(points, seed=0)
    assert result.k == 5 and adjusted_rand_score(truth, result.labels) == pytest.approx(1.0)


def test_cluster_reports_progress_and_handles_tiny_inputs():
    points, _ = _groups(2, 10)
    reports: list[tuple[int, int]] = []
    mining.cluster(points, seed=0, progress=lambda done, total: reports.append((done, total)))
    assert reports[-1][0] == reports[-1][1] and [d for d, _ in reports] == sorted(d for d, _ in reports)
    assert mining.cluster(points[:0]).k == 0
    single = mining.cluster(points[:1])
    assert single.k == 1 and single.labels.tolist() == [0]
    with pytest.raises(ValueError, match="k must be"):
        mining.cluster(points, k=0)


def test_mine_texts_groups_chinese_and_english_posts_by_topic():
    texts = [
        *[f"电池续航太差，一晚上掉电{n}%" for n in range(10, 22)],
        *[f"The battery drains {n}% overnight, battery life is awful" for n in range(10, 22)],
        *[f"相机夜景模糊，第{n}张照片对焦不准" for n in range(10, 22)],
        *[f"Night photo number {n} is blurry, the camera cannot focus" for n in range(10, 22)],
    ]
    result = mining.mine_texts(texts, backend="tfidf", k=4)
    truth = np.repeat(np.arange(4), 12)
    assert adjusted_rand_score(truth, result.labels) > 0.9
    default = mining.mine_texts(texts, k=4)  # the default backend: MiniLM for English, USE for Chinese
    assert adjusted_rand_score(truth, default.labels) > 0.9
    # Each language was clustered on its own model's columns; the centroids are padded back to all.
    assert default.centroids.shape == (4, 896)
    for label in range(4):
        english = int(np.flatnonzero(default.labels == label)[0]) in {*range(12, 24), *range(36, 48)}
        centroid = default.centroids[label]
        assert np.linalg.norm(centroid) == pytest.approx(1.0, abs=1e-4)
        assert not centroid[384:].any() if english else not centroid[:384].any()
    with_features = mining.mine_texts(texts, k=4, corpus_features=True)
    assert adjusted_rand_score(truth, with_features.labels) > 0.9


def _bilingual():
    """Three topics per language, the languages far apart: the strongest split is the language, as
    it is in real USE vectors of a bilingual forum."""
    english, english_truth = _groups(3, 40, seed=5)
    chinese, chinese_truth = _groups(3, 40, seed=6)
    offset = np.zeros(32, dtype=np.float32)
    offset[0] = 10.0
    english, chinese = english - offset, chinese + offset
    english /= np.linalg.norm(english, axis=1, keepdims=True)
    chinese /= np.linalg.norm(chinese, axis=1, keepdims=True)
    points = np.vstack([english, chinese]).astype(np.float32)
    truth = np.concatenate([english_truth, chinese_truth + 3])
    languages = ["en"] * len(english) + ["zh_CN"] * len(chinese)
    return points, truth, languages


def test_each_language_is_mined_apart_so_the_language_split_does_not_swallow_the_topics():
    points, truth, languages = _bilingual()
    assert mining.cluster(points, seed=0).k == 2  # mined together, only the languages come apart

    result = mining.cluster_by_language(points, languages, seed=0)

    assert result.k == 6
    assert adjusted_rand_score(truth, result.labels) == pytest.approx(1.0)
    for label in range(result.k):  # no cluster mixes languages
        assert len({languages[i] for i in np.flatnonzero(result.labels == label)}) == 1
    sizes = np.bincount(result.labels)
    assert sizes[0] == sizes.max() and result.centroids.shape == (6, 32)
    for label in range(result.k):
        mean = points[result.labels == label].mean(axis=0)
        np.testing.assert_allclose(result.centroids[label], mean / np.linalg.norm(mean), atol=1e-5)


def test_a_fixed_k_is_shared_between_languages_by_size():
    points, truth, languages = _bilingual()
    result = mining.cluster_by_language(points, languages, k=6, seed=0)
    assert result.k == 6 and adjusted_rand_score(truth, result.labels) == pytest.approx(1.0)


def test_languages_with_few_posts_join_a_pool():
    languages = ["en"] * 50 + ["zh_CN"] * 40 + ["zh_TW"] * 5 + ["ja"] * 3
    groups = mining.language_groups(languages, min_group=30)
    as_sets = sorted(sorted(group.tolist()) for group in groups)
    # zh_TW counts as zh; Japanese is too small alone and joins the largest language.
    assert as_sets == sorted([list(range(50)) + list(range(95, 98)), list(range(50, 95))])


def test_cosine_silhouette_from_cluster_sums_equals_sklearns_pairwise_one():
    from sklearn.metrics import silhouette_score

    rng = np.random.default_rng(4)
    points = rng.normal(size=(300, 12))
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    for k in (2, 7, 40):
        labels = rng.integers(0, k, size=300)
        labels[0] = k + 1  # a row alone in its cluster (scores 0) and an unused label k (empty)
        expected = silhouette_score(points, labels, metric="cosine")
        assert mining.cosine_silhouette(points, labels) == pytest.approx(expected, abs=1e-9)
    grouped, truth = _groups(5, 30)
    assert mining.cosine_silhouette(grouped, truth) == pytest.approx(
        silhouette_score(grouped, truth, metric="cosine"), abs=1e-6
    )


def test_a_few_posts_are_not_smoothed_into_one():
    """Nine posts in two clear groups stay two groups: smoothing over all nine would merge them."""
    points, truth = _groups(2, 5)
    points = points[:9]
    result = mining.cluster(points, seed=0)
    assert result.k == 2 and adjusted_rand_score(truth[:9], result.labels) == pytest.approx(1.0)


@pytest.mark.parametrize("limit", [100, mining.EXACT_NEIGHBOURS_LIMIT], ids=["minibatch", "full-batch"])
def test_the_final_kmeans_starts_from_the_sample_clustering_that_chose_k(monkeypatch, limit):
    monkeypatch.setattr(mining, "EXACT_NEIGHBOURS_LIMIT", limit)
    starts = []
    kmeans = mining._kmeans

    def recording(points, k, *, seed, n_init=3, start=None):
        starts.append(start)
        return kmeans(points, k, seed=seed, n_init=n_init, start=start)

    monkeypatch.setattr(mining, "_kmeans", recording)
    points, truth = _groups(5, 60)
    result = mining.cluster(points, seed=0)
    assert result.k == 5 and adjusted_rand_score(truth, result.labels) == pytest.approx(1.0)
    [start] = starts
    assert start is not None and start.shape == (5, 32)
    # With k given there is no sample clustering to start from: KMeans++ seeds as before.
    mining.cluster(points, k=5, seed=0)
    assert starts[-1] is None


@pytest.mark.parametrize("limit", [100, mining.EXACT_NEIGHBOURS_LIMIT], ids=["minibatch", "full-batch"])
def test_kmeans_given_a_start_runs_once_from_it(monkeypatch, limit):
    import sklearn.cluster

    monkeypatch.setattr(mining, "EXACT_NEIGHBOURS_LIMIT", limit)
    made = []
    for name in ("KMeans", "MiniBatchKMeans"):
        original = getattr(sklearn.cluster, name)

        def recording(*args, original=original, **options):
            made.append(options)
            return original(*args, **options)

        monkeypatch.setattr(sklearn.cluster, name, recording)
    points, truth = _groups(4, 60)
    start = np.vstack([points[truth == group].mean(axis=0) for group in range(4)])
    labels = mining._kmeans(points, 4, seed=0, start=start)
    assert adjusted_rand_score(truth, labels) == pytest.approx(1.0)
    assert made[-1]["n_init"] == 1 and np.array_equal(made[-1]["init"], start.astype(points.dtype))
    # Without a start (or one of another k): KMeans++ seeding, several times.
    mining._kmeans(points, 3, seed=0, start=start)
    assert made[-1]["n_init"] == 3 and "init" not in made[-1]
