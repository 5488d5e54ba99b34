"""Reading shop folders: ``shop.yaml`` plus a catalog in YAML, JSON or CSV, with located errors."""

from voiceshop.shopfiles.loader import ShopBundle, load_shop_folder

__all__ = ["ShopBundle", "load_shop_folder"]
