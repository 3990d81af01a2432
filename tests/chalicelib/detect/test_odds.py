"""Prior odds of a mixed burst's clicks."""

from chalicelib.detect.odds import band_share_odds


def test_a_burst_the_band_explains_keeps_high_odds_and_a_diluted_one_does_not():
    assert band_share_odds(0.95, 0.1) > 10  # a scripted crew, a few camouflaged stays
    assert band_share_odds(0.4, 0.15) < 1  # an honest viral crowd with a few scripted visitors
    assert band_share_odds(0.1, 0.15) == 0.0
    assert band_share_odds(1.0, 0.1) < 1000  # bounded: never certain from the prior alone
