"""Choosing the shop to serve: a loaded shop by slug, or a shop folder loaded when new or changed."""

from __future__ import annotations

from pathlib import Path

from voiceshop.errors import ShopNotFound
from voiceshop.shopfiles.loader import load_shop_folder
from voiceshop.storage import Database
from voiceshop.storage.shops import ShopRepository


def open_shop(db: Database, shop: str | None) -> str:
    """The slug of the shop to serve.

    A folder is loaded only when its content differs from what the store holds (by fingerprint), so
    restarting the assistant does not reset the stock that orders have used up.
    """
    shops = ShopRepository(db)
    if shop is None or not Path(shop).exists():
        return shops.resolve(shop).shop.slug
    bundle = load_shop_folder(shop)
    try:
        stored = shops.resolve(bundle.shop.slug)
    except ShopNotFound:
        stored = None
    if stored is None or stored.fingerprint != bundle.fingerprint:
        shops.load(bundle)
    return bundle.shop.slug
