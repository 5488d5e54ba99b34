"""Load a shop folder in layers: text -> located data -> validated models -> cross-checks.

    shop-folder/
      shop.yaml          the Shop (name, currency, hours, delivery, policies, coupons...)
      catalog.yaml       products and option groups (or catalog.yml / catalog.json / catalog.csv)

A CSV catalog has one product per row (columns: sku, name, category, price, and optionally aliases,
brand, description, pack, stock, tags, related, options; lists separated by ";"); its option groups,
if any, go under ``option_groups:`` in shop.yaml.

Every problem in every file is collected before anything is reported, each with file, line and field,
so a shop owner fixes them in one pass. Nothing here writes anywhere.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from voiceshop.commerce.catalog import Catalog, OptionGroup, Product, Strict
from voiceshop.commerce.money import CURRENCY_EXPONENTS, MAJOR_UNITS_EXPONENT
from voiceshop.commerce.shop import Shop
from voiceshop.errors import Problem, ShopFileError
from voiceshop.shopfiles.located import Located, ParseError, parse_json, parse_yaml

SHOP_FILE_NAMES = ("shop.yaml", "shop.yml")
CATALOG_FILE_NAMES = ("catalog.yaml", "catalog.yml", "catalog.json", "catalog.csv")
CSV_COLUMNS = tuple(Product.model_fields)
CSV_REQUIRED = ("sku", "name", "category", "price")

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class ShopBundle:
    """A validated shop and its catalog, with where they came from."""

    shop: Shop
    catalog: Catalog
    folder: Path
    files: tuple[Path, ...]

    @cached_property
    def fingerprint(self) -> str:
        """Changes whenever anything in the shop or catalog changes (grammars recompile on it).

        Cached: it serialises the whole catalog, which takes seconds at 100,000 products."""
        payload = json.dumps([self.shop.model_dump(mode="json"), self.catalog.model_dump(mode="json")], sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()


class _GroupsOnly(Strict):
    """Option groups on their own: shop.yaml's, or a catalog file's without its products."""

    option_groups: tuple[OptionGroup, ...] = ()


def _field_name(path: tuple[Any, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _describe(path: tuple[Any, ...], data: Any) -> str:
    """Field path, naming the product's SKU when the error is inside one ("products[3] (sku X).price")."""
    name = _field_name(path)
    if len(path) >= 2 and path[0] == "products" and isinstance(path[1], int) and isinstance(data, dict):
        items = data.get("products")
        item = items[path[1]] if isinstance(items, list) and path[1] < len(items) else None
        sku = item.get("sku") if isinstance(item, dict) else None
        if sku:
            head = _field_name(path[:2])
            return f"{head} (sku {sku}){name[len(head) :]}"
    return name


def _message(err: Any) -> str:
    kind = err["type"]
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        name = str(err["loc"][-1])
        known = list(Product.model_fields) + list(Shop.model_fields) + list(OptionGroup.model_fields)
        close = difflib.get_close_matches(name, known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"unknown field {name!r}{hint}"
    msg = str(err["msg"])
    return msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")


def _validate(
    model: type[M],
    located: Located,
    file: str,
    exp: int,
    problems: list[Problem],
    base: tuple[str | int, ...] = (),
    document: Any = None,
) -> M | None:
    """Validate ``located.data``, which sits at ``base`` inside ``document`` (the whole file's data,
    used to name fields and products in messages); each error becomes a located Problem."""
    try:
        return model.model_validate(located.data, context={MAJOR_UNITS_EXPONENT: exp})
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            # pydantic appends the name of a failing union member or function to loc; drop those
            path = tuple(p for p in err["loc"] if isinstance(p, int) or not str(p).startswith("function-"))
            field = _describe(base + path, located.data if document is None else document)
            problems.append(Problem(file, located.line_of(path), field, _message(err)))
        return None


def _validate_catalog(
    located: Located, file: str, exp: int, problems: list[Problem]
) -> tuple[Catalog | None, list[int], frozenset[str]]:
    """Validate option groups and each product on its own, so one bad product does not hide the
    cross-checks (duplicate SKUs, unknown option groups) of the others.

    Returns the catalog of the products that are valid, for each its index in the file, and every
    SKU the file names (valid product or not).
    """
    data = located.data
    products_raw = data.get("products", [])
    rest = Located({k: v for k, v in data.items() if k != "products"}, located.lines)
    head = _validate(_GroupsOnly, rest, file, exp, problems)
    if not isinstance(products_raw, list):
        line = located.line_of(("products",))
        problems.append(Problem(file, line, "products", "must be a list of products"))
        return None, [], frozenset()
    valid: list[Product] = []
    index_map: list[int] = []
    # each product's own line map, grouped in one pass (a catalog may hold 100,000 products)
    item_lines: dict[int, dict[tuple[str | int, ...], int]] = {}
    for path, line in located.lines.items():
        if len(path) >= 2 and path[0] == "products" and isinstance(path[1], int):
            item_lines.setdefault(path[1], {})[path[2:]] = line
    for i, raw in enumerate(products_raw):
        item = Located(raw, item_lines.get(i, {}))
        product = _validate(Product, item, file, exp, problems, ("products", i), data)
        if product is not None:
            valid.append(product)
            index_map.append(i)
    # Duplicate SKUs on the raw rows: a product with another error still claims its SKU.
    first: dict[str, int] = {}
    for i, raw in enumerate(products_raw):
        sku = raw.get("sku") if isinstance(raw, dict) else None
        if not isinstance(sku, str):
            continue
        if sku in first:
            problems.append(
                Problem(
                    file,
                    located.line_of(("products", i, "sku")),
                    _describe(("products", i, "sku"), data),
                    f"duplicate SKU {sku!r} (first used by product #{first[sku] + 1})",
                )
            )
        else:
            first[sku] = i
    if head is None:
        return None, index_map, frozenset(first)
    return Catalog(option_groups=head.option_groups, products=tuple(valid)), index_map, frozenset(first)


MAX_FILE_BYTES = 32 * 1024 * 1024
"""A shop file larger than this is not a catalog (100,000 products take about 20 MB of CSV)."""
MAX_LINE_CHARS = 100_000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _read(path: Path, problems: list[Problem]) -> str | None:
    """The text of a shop file: UTF-8 (with or without a BOM), no binary data, sane sizes."""
    file = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            problems.append(Problem(file, None, "", f"is {size // 1_000_000} MB; a shop file may be at most "
                                    f"{MAX_FILE_BYTES // 1_000_000} MB"))  # fmt: skip
            return None
        data = path.read_bytes()
    except OSError as exc:
        problems.append(Problem(file, None, "", f"cannot be read: {exc.strerror}"))
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.append(Problem(file, line, "", "is not UTF-8 text; save it as UTF-8"))
        return None
    bad = _CONTROL.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        what = "a NUL byte" if bad.group() == "\0" else f"the control character {bad.group()!r}"
        problems.append(Problem(file, line, "", f"contains {what}; is it a text file? Save it as plain UTF-8 text"))
        return None
    for n, line_text in enumerate(text.splitlines(), start=1):
        if len(line_text) > MAX_LINE_CHARS:
            problems.append(Problem(file, n, "", f"line is {len(line_text):,} characters long; the limit is "
                                    f"{MAX_LINE_CHARS:,}"))  # fmt: skip
            return None
    return text


def _parse(path: Path, text: str, problems: list[Problem]) -> Located | None:
    try:
        located = parse_json(text) if path.suffix == ".json" else parse_yaml(text)
    except ParseError as exc:
        problems.append(Problem(str(path), exc.line, "", str(exc)))
        return None
    if located.data is None:
        problems.append(Problem(str(path), None, "", "is empty"))
        return None
    if not isinstance(located.data, dict):
        problems.append(Problem(str(path), 1, "", "must be a mapping of fields (key: value), not a list"))
        return None
    return located


def parse_csv(path: Path, text: str, problems: list[Problem]) -> Located | None:
    """A CSV catalog as located data: one product per row, lines are the rows' line numbers."""
    file = str(path)
    reader = csv.DictReader(io.StringIO(text), restkey="\0extra")
    try:
        header = [h.strip() for h in reader.fieldnames or []]
    except csv.Error as exc:  # a stray carriage return or NUL in the first row
        problems.append(Problem(file, 1, "", f"not valid CSV: {exc}"))
        return None
    if not header:
        problems.append(Problem(file, 1, "", "is empty; the first row must name the columns"))
        return None
    reader.fieldnames = header
    bad = False
    for col in header:
        if col not in CSV_COLUMNS:
            close = difflib.get_close_matches(col, CSV_COLUMNS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(Problem(file, 1, col, f"unknown column{hint}"))
            bad = True
    for col in CSV_REQUIRED:
        if col not in header:
            problems.append(Problem(file, 1, col, "required column is missing"))
            bad = True
    if bad:
        return None
    products: list[dict[str, str]] = []
    lines: dict[tuple[str | int, ...], int] = {(): 1, ("products",): 1}
    row_start = reader.line_num + 1
    try:
        for row in reader:
            line = row_start
            row_start = reader.line_num + 1
            if "\0extra" in row:
                problems.append(Problem(file, line, "", f"row has more cells than the {len(header)} columns"))
                continue
            if any(v is None for v in row.values()):
                problems.append(Problem(file, line, "", f"row has fewer cells than the {len(header)} columns"))
                continue
            if not any(v.strip() for v in row.values()):
                continue  # blank line
            lines[("products", len(products))] = line
            products.append({k: v.strip() for k, v in row.items() if v.strip()})
    except csv.Error as exc:
        problems.append(Problem(file, reader.line_num, "", f"not valid CSV: {exc}"))
        return None
    return Located({"products": products}, lines)


def _find_one(folder: Path, names: tuple[str, ...], what: str, problems: list[Problem]) -> Path | None:
    found = [folder / n for n in names if (folder / n).is_file()]
    if not found:
        problems.append(Problem(str(folder), None, "", f"has no {what} (expected one of: {', '.join(names)})"))
        return None
    if len(found) > 1:
        listed = ", ".join(p.name for p in found)
        problems.append(Problem(str(folder), None, "", f"has several {what}s ({listed}); keep one"))
        return None
    return found[0]


def load_shop_folder(folder: str | Path) -> ShopBundle:
    """Read and validate a shop folder; raise ``ShopFileError`` listing every problem found."""
    folder = Path(folder)
    problems: list[Problem] = []
    if folder.is_file() and folder.name in SHOP_FILE_NAMES:
        folder = folder.parent
    if not folder.is_dir():
        raise ShopFileError([Problem(str(folder), None, "", "is not a folder; pass the shop's folder")])

    shop_path = _find_one(folder, SHOP_FILE_NAMES, "shop file", problems)
    shop: Shop | None = None
    shop_groups: tuple[OptionGroup, ...] = ()
    catalog_name: str | None = None
    exp = 2
    if shop_path is not None and (text := _read(shop_path, problems)) is not None:
        located = _parse(shop_path, text, problems)
        if located is not None:
            groups_raw = located.data.pop("option_groups", None)
            currency = located.data.get("currency", "USD")
            exp = CURRENCY_EXPONENTS.get(str(currency), 2)
            shop = _validate(Shop, located, str(shop_path), exp, problems)
            raw_catalog = located.data.get("catalog")
            catalog_name = str(raw_catalog) if raw_catalog else None
            if groups_raw is not None:
                groups_doc = Located({"option_groups": groups_raw}, located.lines)
                only = _validate(_GroupsOnly, groups_doc, str(shop_path), exp, problems)
                shop_groups = only.option_groups if only else ()

    if catalog_name is not None:
        catalog_path: Path | None = folder / catalog_name
        assert catalog_path is not None
        if not catalog_path.is_file():
            problems.append(Problem(str(shop_path), None, "catalog", f"file {catalog_name!r} not found"))
            catalog_path = None
    else:
        catalog_path = _find_one(folder, CATALOG_FILE_NAMES, "catalog file", problems)

    catalog: Catalog | None = None
    cat_located: Located | None = None
    index_map: list[int] = []
    file_skus: frozenset[str] = frozenset()
    if catalog_path is not None and (text := _read(catalog_path, problems)) is not None:
        if catalog_path.suffix == ".csv":
            cat_located = parse_csv(catalog_path, text, problems)
        elif catalog_path.suffix in (".yaml", ".yml", ".json"):
            cat_located = _parse(catalog_path, text, problems)
        else:
            problems.append(Problem(str(catalog_path), None, "", "catalog must be .yaml, .yml, .json or .csv"))
        if cat_located is not None:
            catalog, index_map, file_skus = _validate_catalog(cat_located, str(catalog_path), exp, problems)

    if catalog is not None and cat_located is not None:
        catalog = Catalog(option_groups=shop_groups + catalog.option_groups, products=catalog.products)
        if not catalog.products and not problems:
            line = cat_located.line_of(("products",))
            problems.append(Problem(str(catalog_path), line, "products", "the catalog has no products"))
        own = len(shop_groups)
        for path, message in catalog.integrity_problems(file_skus):
            kind, index, *rest = path
            if kind == "products" and rest == ["sku"]:
                continue  # duplicates were found on the raw rows, including invalid ones
            assert isinstance(index, int)
            if kind == "option_groups" and index < own:
                problems.append(Problem(str(shop_path), None, f"option_groups[{index}]", message))
                continue
            index = index - own if kind == "option_groups" else index_map[index]
            where = (kind, index, *rest)
            problems.append(
                Problem(str(catalog_path), cat_located.line_of(where), _describe(where, cat_located.data), message)
            )

    if problems or shop is None or catalog is None or shop_path is None or catalog_path is None:
        raise ShopFileError(problems or [Problem(str(folder), None, "", "could not be read")])
    return ShopBundle(shop=shop, catalog=catalog, folder=folder, files=(shop_path, catalog_path))
