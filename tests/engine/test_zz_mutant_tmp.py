from hypothesis import given
from tests.engine.test_differential import *  # noqa

@CHECKS
@given(ANY)
def test_mutant_minimax_vs_schulze(profile):
    prof = to_pref_voting(profile)
    assert top_group(tally("minimax", profile, seed="x")) == set(margin_based_methods.beat_path(prof))

@CHECKS
@given(ANY)
def test_mutant_minimax_strength(profile):
    prof = to_pref_voting(profile)
    assert top_group(tally("minimax", profile, seed="x", strength="winning")) == set(margin_based_methods.minimax(prof))

@CHECKS
@given(ranked_profiles(max_candidates=5, ties=True, truncated=True), seeds())
def test_stats(profile, seed):
    result = tally("ranked-pairs", profile, seed=seed)
    from hypothesis import event
    event(f"m={profile.n_candidates} lot={any(t.purpose=='rank' for t in result.ties)} top={len(result.ranking[0])}")
