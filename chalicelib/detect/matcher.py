"""Real-time feedback: clicks and stays that belong to an active campaign, answered from memory.

Loaded once per instance (one per request or stream batch) from the campaigns whose last click is
recent, then indexed by member identity and by target, so each click costs a few dict lookups.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable

from chalicelib.config import Settings
from chalicelib.detect import trail
from chalicelib.ingest import CampaignMatcher
from chalicelib.models import (
    FOUND_BY_BURSTS,
    FOUND_BY_SCRIPT,
    FOUND_BY_STRANGERS,
    FOUND_BY_TAILLESS,
    Click,
    stable_hash32,
)
from chalicelib.scoring.evidence import activity_entry
from chalicelib.scoring.features import other_shop_owner
from chalicelib.storage.base import NO_DWELL, ActivityEntry, PulseEntry, Store
from chalicelib.storage.campaigns import Campaign, campaign_store


def member_keys(click: Click) -> list[str]:
    """The identities a click can be tied to a campaign by: account, device, shop (not ip: NAT)."""
    s = click.source
    keys = []
    if s.account_id:
        keys.append("a:" + s.account_id)
    if s.device_id:
        keys.append("d:" + s.device_id)
    if s.seller_id:
        keys.append("s:" + s.seller_id)
    return keys


def campaign_keys(c: Campaign, sellers: bool = True) -> list[str]:
    """The identities a campaign's members are known by, as `member_keys` names a click's: accounts,
    devices and, with `sellers`, shops."""
    kinds = [("a:", c.accounts), ("d:", c.devices)] + ([("s:", c.seller_ids)] if sellers else [])
    return [kind + i for kind, ids in kinds for i in ids]


def on_target(c: Campaign, click: Click) -> bool:
    """One of the campaign's listings, or another listing of its advertisers or keywords: a
    sweep's crew moves on to the next listing of a keyword, a siege to the next of a shop's.

    Asked only while the click's listing bursts, or a burst on its keyword or shop reaches it:
    members also shop the same keywords and shops.
    """
    return (
        click.listing_id in c.listings
        or click.advertiser_id in c.advertisers
        or (click.keyword is not None and click.keyword in c.keywords)
    )


def on_listings_or_shops(c: Campaign, click: Click) -> bool:
    """One of the campaign's listings, or another listing of its shops (not of its keywords):
    where a crew's rounds and a sellers' siege strike."""
    return click.listing_id in c.listings or click.advertiser_id in c.advertisers


def same_script(c: Campaign, band: tuple[float, float]) -> bool:
    """The campaign's prescribed stay (its band's centre) lies in a listing's scripted band: the
    same crew's script, not another attack's (a farm's band next to a siege's ten seconds)."""
    return bool(c.dwell) and band[0] <= (c.dwell["low_ms"] * c.dwell["high_ms"]) ** 0.5 <= band[1]


def in_band(c: Campaign, dwell_ms: int) -> bool:
    """The stay lies in the campaign's prescribed band (a campaign found without one has none)."""
    return bool(c.dwell) and c.dwell["low_ms"] <= dwell_ms <= c.dwell["high_ms"]


class StoreCampaignMatcher(CampaignMatcher):
    def __init__(self, store: Store, cfg: Settings):
        self.store = store
        self.cfg = cfg
        self._members: dict[str, list[Campaign]] | None = None
        self._listings: dict[str, list[Campaign]] = {}
        self._sellers_sieges: list[Campaign] = []
        self._strangers: dict[str, list[Campaign]] = {}  # strangers' campaigns by shop
        self._scripts: dict[str, list[Campaign]] = {}  # scripted strangers' campaigns by keyword
        self._stayers: dict[str, list[Campaign]] = {}  # tailless campaigns by member identity
        self._listing_hashes: dict[str, frozenset[int]] = {}  # by campaign, for `trail.repeat_clicks`

    def _load(self, ts: int) -> None:
        self._members = {}
        horizon = ts - max(self.cfg.member_hold_s, self.cfg.target_hold_s) * 1000
        for c in campaign_store(self.store).ending_after(horizon):
            if c.found_by == FOUND_BY_SCRIPT:
                # Its members are one-shot identities: the keyword and the band are what return.
                for keyword in c.keywords:
                    self._scripts.setdefault(keyword, []).append(c)
                continue
            if c.found_by == FOUND_BY_TAILLESS:
                # Named by their stays, not their clicks: only a stay in the band is theirs again
                # (an honest seller comes back to a rival's listings, at any length), and their
                # shops are no sellers' siege.
                for key in campaign_keys(c, sellers=False):
                    self._stayers.setdefault(key, []).append(c)
                continue
            for key in campaign_keys(c):
                self._members.setdefault(key, []).append(c)
            # Seller ids come with accounts (the shop an account owns): the share of its accounts,
            # or of its devices when it was seen without logins.
            people = len(c.accounts) or len(c.devices) or 1
            if len(c.seller_ids) >= self.cfg.sellers_siege_share * people:
                self._sellers_sieges.append(c)
            if c.found_by == FOUND_BY_STRANGERS:
                for shop in c.advertisers:
                    self._strangers.setdefault(shop, []).append(c)
            if c.dwell:
                # Honest shoppers stay ten seconds too: a band on its own is matched only on the
                # attacked listings (not on their advertisers' or keywords' other listings).
                for listing in c.hits:
                    self._listings.setdefault(listing, []).append(c)

    def _running(self, c: Campaign, ts: int) -> bool:
        """The campaign is active at `ts`: begun, and its last credited click within the hold."""
        return c.start_ts <= ts <= c.end_ts + self.cfg.member_hold_s * 1000

    def _campaigns_of(self, click: Click, stays: bool = False) -> dict[str, Campaign]:
        """The campaigns the click's source is a member of; with `stays`, also those whose members
        were named by their stays (matched at dwell time only)."""
        if self._members is None:
            self._load(click.ts)
        found: dict[str, Campaign] = {}
        for index in (self._members, self._stayers) if stays else (self._members,):
            for key in member_keys(click):
                for c in index.get(key, ()):
                    found[c.campaign_id] = c
        return found

    def match(
        self,
        clicks: list[Click],
        bursting: Collection[str] = (),
        scripted: dict[str, tuple[float, float]] | None = None,
        strangers: Collection[str] = (),
        history: Callable[[Click], Iterable[ActivityEntry]] | None = None,
    ) -> dict[str, str]:
        """Clicks of a campaign's members while it is active: on its targets while they burst
        (`bursting`: listing ids bursting, or reached by a burst on their keyword or shop), on a
        listing under a scripted attack now by the campaign's own script (`scripted`: the
        pulse's band per listing; a crew that comes back arrives in numbers and stays as it was
        told, anywhere), on a keyword it has not reached that its members are arriving on
        together (the crew's next keyword; `history`: each click's source's recent clicks), and
        on the listings and shops of a campaign found without bursts, bursting or not. Also a
        shop owner's click on a sellers' siege's targets while they burst, and a new identity's
        click (`strangers`: click ids, none on a listing in `bursting`) on a shop that strangers are
        clicking."""
        scripted = scripted or {}
        campaigns_of = {click.click_id: self._campaigns_of(click) for click in clicks}
        moving = self._next_keyword(clicks, campaigns_of, history or (lambda click: ()))
        out = {}
        for click in clicks:
            for c in sorted(campaigns_of[click.click_id].values(), key=lambda c: c.campaign_id):
                band = scripted.get(click.listing_id)
                if c.found_by != FOUND_BY_BURSTS:
                    reach = on_listings_or_shops(c, click)
                else:
                    reach = (click.listing_id in bursting and on_target(c, click)) or (
                        band is not None and same_script(c, band)
                    )
                reach = reach or c.campaign_id in moving.get(click.click_id, ())
                if reach and self._running(c, click.ts):
                    out[click.click_id] = c.campaign_id
                    break
            if click.click_id in out:
                continue
            found = self._sellers_siege_on(click) if click.listing_id in bursting else None
            if found is None and click.click_id in strangers:
                found = self._strangers_on(click)
            if found is not None:
                out[click.click_id] = found
        return out

    def _next_keyword(
        self,
        clicks: list[Click],
        campaigns_of: dict[str, dict[str, Campaign]],
        history: Callable[[Click], Iterable[ActivityEntry]],
    ) -> dict[str, set[str]]:
        """Per click, the running campaigns whose members who clicked their listings before, this
        click's source among them, are on its keyword in numbers now, a keyword the campaign has
        not reached: the crew's next keyword. Their trails are written only for such members'
        clicks (one write per campaign and keyword per batch), so honest traffic writes none."""
        cfg = self.cfg
        additions: dict[str, list[PulseEntry]] = {}
        now: dict[str, int] = {}
        on_trail: dict[str, list[tuple[str, str]]] = {}  # click id -> (campaign id, trail key)
        for click in clicks:
            if click.keyword is None:
                continue
            # On a keyword it has reached, its members shop there too: matched while it bursts.
            campaigns = [
                c
                for c in campaigns_of[click.click_id].values()
                if click.keyword not in c.keywords and self._running(c, click.ts)
            ]
            if not campaigns:
                continue
            this, recent = activity_entry(click), list(history(click))
            member = stable_hash32(member_keys(click)[0])
            for c in campaigns:
                if trail.repeat_clicks(recent, self._hashes(c), this) < cfg.crew_repeat_clicks:
                    continue
                key = trail.trail_key(c.campaign_id, click.keyword)
                additions.setdefault(key, []).append(PulseEntry(click.ts, member, NO_DWELL, False))
                now[key] = max(now.get(key, click.ts), click.ts)
                on_trail.setdefault(click.click_id, []).append((c.campaign_id, key))
        if not additions:
            return {}
        trails = self.store.merge_pulses(
            additions, lambda t, new: trail.advance(t, new, cfg.pulse_keep_clicks)
        )
        window = cfg.burst_window_s * 1000
        return {
            click_id: {
                campaign_id
                for campaign_id, key in pairs
                if trail.members_within(trails[key], now[key], window) >= cfg.crew_next_keyword_members
            }
            for click_id, pairs in on_trail.items()
        }

    def _hashes(self, c: Campaign) -> frozenset[int]:
        if c.campaign_id not in self._listing_hashes:
            self._listing_hashes[c.campaign_id] = frozenset(stable_hash32(x) for x in c.listings)
        return self._listing_hashes[c.campaign_id]

    def _sellers_siege_on(self, click: Click, dwell_ms: int | None = None) -> str | None:
        """A sellers' siege running on the clicked listing or its shop, when a shop owner (other
        than the advertiser) clicks it while it bursts, or (`dwell_ms`) stays there in its band,
        in a wave or between: in 2011 and 2013 the besiegers were small sellers told to stay ten
        seconds, and a seller on the besieged shop is one the sweep has not named. Between waves
        nothing bursts, so only the stay tells (second model, 28 days: 1,078 CNY more stopped
        live, 137 CNY of honest sellers' spend dropped with it)."""
        if not other_shop_owner(click.source, click.advertiser_id):
            return None
        found = (
            c.campaign_id
            for c in self._sellers_sieges
            if on_listings_or_shops(c, click)
            and self._running(c, click.ts)
            and (dwell_ms is None or in_band(c, dwell_ms))
        )
        return min(found, default=None)

    def _strangers_on(self, click: Click) -> str | None:
        """A strangers' campaign running on the clicked shop, for a click by a new identity: the
        drip's next hired click. An honest newcomer to the shop meanwhile is dropped too: on the
        second model, 1-16 CNY of honest spend a day against 99-190 CNY of a drip's."""
        shop = self._strangers.get(click.advertiser_id, ())
        return min((c.campaign_id for c in shop if self._running(c, click.ts)), default=None)

    def match_dwell(self, click: Click, dwell_ms: int, on_targets: bool) -> str | None:
        """A stay in an active campaign's band, by one of its members, or on one of its targets
        while that listing still bursts and its own stays are not judged a crowd's (`on_targets`:
        honest shoppers stay ten seconds too, and a viral crowd that follows a crew is no script).

        A burst campaign's member anywhere: its scripted stays follow it to the next target. A
        crew's, a drip's or a tailless campaign's only on its listings and shops, where its clicks
        are matched (a tailless campaign's clicks are not: only its stays): a hired crew's band is
        a browsing stay's, and its members shop meanwhile. Also a shop owner's
        stay in a sellers' siege's band on its shops, waves or not, and a logged-out stay in a
        scripted keyword's band on that keyword."""
        members = self._campaigns_of(click, stays=True)
        targets = {c.campaign_id: c for c in self._listings.get(click.listing_id, [])} if on_targets else {}
        for cid in sorted(members.keys() | targets.keys()):
            c = members.get(cid) or targets[cid]
            if cid in members:
                reach = c.found_by == FOUND_BY_BURSTS or on_listings_or_shops(c, click)
                active = reach and self._running(c, click.ts)
            else:
                last = c.hits[click.listing_id]
                active = c.start_ts <= click.ts <= last + self.cfg.target_hold_s * 1000
            if active and in_band(c, dwell_ms):
                return cid
        return self._sellers_siege_on(click, dwell_ms) or self._script_on(click, dwell_ms)

    def _script_on(self, click: Click, dwell_ms: int) -> str | None:
        """A scripted strangers' campaign running on the click's keyword whose band holds the stay:
        the software's next click, logged out. An honest logged-out stay in the band is dropped
        with it: the band is narrow, and logged-in shoppers are not looked at."""
        if click.source.account_id:
            return None
        scripts = self._scripts.get(click.keyword or "", ())
        found = (c.campaign_id for c in scripts if self._running(c, click.ts) and in_band(c, dwell_ms))
        return min(found, default=None)
