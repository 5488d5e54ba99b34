from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests import pg_cluster
from tests.downloads import Files, serve
from voiceshop.cli.app import app
from voiceshop.shopfiles import ShopBundle, load_shop_folder
from voiceshop.storage import Database
from voiceshop.storage.customers import CustomerRepository
from voiceshop.storage.orders import OrderRepository
from voiceshop.storage.shops import ShopRepository, StoredShop

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
BUNDLED = frozenset(p.name for p in EXAMPLES.iterdir() if (p / "shop.yaml").exists())
"""The bundled shops: every one has golden conversations and natural sentences."""


@cache
def bundle(name: str) -> ShopBundle:
    return load_shop_folder(EXAMPLES / name)


@pytest.fixture
def coffee() -> ShopBundle:
    return bundle("coffee-bar")


@pytest.fixture
def corner() -> ShopBundle:
    return bundle("corner-store")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "store.db"


@pytest.fixture(scope="session")
def postgres() -> Iterator[pg_cluster.Cluster]:
    """A throwaway PostgreSQL cluster for the whole run; the PostgreSQL tests skip (saying why) without one."""
    try:
        cluster = pg_cluster.start(pg_cluster.FAST)
    except pg_cluster.ClusterUnavailable as exc:
        pytest.skip(f"PostgreSQL back end not tested: {exc}")
    yield cluster
    cluster.stop()


BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty store of each back end: a SQLite file, or a new database in the test cluster."""
    if request.param == "sqlite":
        return str(tmp_path / "store.db")
    cluster: pg_cluster.Cluster = request.getfixturevalue("postgres")
    return cluster.new_database()


@pytest.fixture
def db(db_path: Path) -> Iterator[Database]:
    database = Database(db_path)
    yield database
    database.close()


@pytest.fixture
def shops(db: Database) -> ShopRepository:
    return ShopRepository(db)


@pytest.fixture
def orders(db: Database) -> OrderRepository:
    return OrderRepository(db)


@pytest.fixture
def customers(db: Database) -> CustomerRepository:
    return CustomerRepository(db)


@pytest.fixture
def coffee_shop(shops: ShopRepository, coffee: ShopBundle) -> StoredShop:
    shops.load(coffee)
    return shops.resolve("coffee-bar")


@pytest.fixture
def corner_shop(shops: ShopRepository, corner: ShopBundle) -> StoredShop:
    shops.load(corner)
    return shops.resolve("corner-store")


runner = CliRunner()


@pytest.fixture
def vs(tmp_path: Path):  # type: ignore[no-untyped-def]
    db = tmp_path / "cli.db"

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(app, ["--db", str(db), *args])
        output = result.output + (result.stderr if result.stderr_bytes is not None else "")
        assert result.exit_code == code, output
        assert "Traceback" not in output
        return output

    return run


@pytest.fixture
def files() -> Iterator[Files]:
    """A download server on 127.0.0.1 serving what the test puts in ``files.content``."""
    f = Files()
    server = serve(f)
    f.base = f"http://127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
    yield f
    server.shutdown()
