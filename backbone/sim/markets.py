"""The simulated market catalogue: about 190 KRW markets plus BTC and USDT ones.

Real coin tickers with their Korean names come first (most traded first); a
deterministic long tail of made-up coins fills the KRW list. Each market carries
what the price generator needs: a reference price (its level in June 2025), daily
volatility, how often a minute sees trades, trades per active minute, daily
turnover in quote currency, and a listing day before which no candle exists.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from backbone.sim.timefmt import day_from_date

REFERENCE_DAY = day_from_date(2025, 6, 1)  # the day each reference price holds
FIRST_LISTING_DAY = day_from_date(2017, 10, 1)  # Upbit opened in October 2017
KRW_MARKET_COUNT = 190
CAUTION_KEYS = (
    "PRICE_FLUCTUATIONS",
    "TRADING_VOLUME_SOARING",
    "DEPOSIT_AMOUNT_SOARING",
    "GLOBAL_PRICE_DIFFERENCES",
    "CONCENTRATION_OF_SMALL_ACCOUNTS",
)

# (ticker, Korean name, English name, KRW price in mid 2025), most traded first.
_REAL_COINS: tuple[tuple[str, str, str, float], ...] = (
    ("BTC", "비트코인", "Bitcoin", 145_000_000.0),
    ("ETH", "이더리움", "Ethereum", 3_500_000.0),
    ("XRP", "엑스알피(리플)", "XRP", 3_000.0),
    ("SOL", "솔라나", "Solana", 210_000.0),
    ("DOGE", "도지코인", "Dogecoin", 250.0),
    ("USDT", "테더", "Tether", 1_380.0),
    ("ADA", "에이다", "Cardano", 900.0),
    ("SUI", "수이", "Sui", 4_500.0),
    ("PEPE", "페페", "Pepe", 0.0152),
    ("TRX", "트론", "TRON", 380.0),
    ("LINK", "체인링크", "Chainlink", 19_000.0),
    ("ONDO", "온도파이낸스", "Ondo Finance", 1_100.0),
    ("AVAX", "아발란체", "Avalanche", 27_000.0),
    ("ENA", "에테나", "Ethena", 450.0),
    ("XLM", "스텔라루멘", "Lumens", 370.0),
    ("SHIB", "시바이누", "Shiba Inu", 0.0171),
    ("HBAR", "헤데라", "Hedera", 230.0),
    ("BCH", "비트코인캐시", "Bitcoin Cash", 600_000.0),
    ("DOT", "폴카닷", "Polkadot", 5_500.0),
    ("ETC", "이더리움클래식", "Ethereum Classic", 23_000.0),
    ("NEAR", "니어프로토콜", "NEAR Protocol", 3_300.0),
    ("APT", "앱토스", "Aptos", 6_300.0),
    ("ATOM", "코스모스", "Cosmos", 5_800.0),
    ("POL", "폴리곤 에코시스템 토큰", "POL (ex-MATIC)", 300.0),
    ("ARB", "아비트럼", "Arbitrum", 470.0),
    ("SEI", "세이", "Sei", 300.0),
    ("STX", "스택스", "Stacks", 1_000.0),
    ("AAVE", "에이브", "Aave", 360_000.0),
    ("UNI", "유니스왑", "Uniswap", 10_000.0),
    ("WLD", "월드코인", "Worldcoin", 1_500.0),
    ("TRUMP", "오피셜트럼프", "Official Trump", 13_000.0),
    ("BONK", "봉크", "Bonk", 0.025),
    ("JUP", "주피터", "Jupiter", 650.0),
    ("TIA", "셀레스티아", "Celestia", 2_300.0),
    ("EOS", "이오스", "EOS", 800.0),
    ("SAND", "샌드박스", "The Sandbox", 380.0),
    ("MANA", "디센트럴랜드", "Decentraland", 400.0),
    ("AXS", "엑시인피니티", "Axie Infinity", 3_300.0),
    ("ALGO", "알고랜드", "Algorand", 260.0),
    ("VET", "비체인", "VeChain", 33.0),
    ("FLOW", "플로우", "Flow", 500.0),
    ("CHZ", "칠리즈", "Chiliz", 52.0),
    ("THETA", "쎄타토큰", "Theta Token", 1_000.0),
    ("XTZ", "테조스", "Tezos", 780.0),
    ("NEO", "네오", "NEO", 8_000.0),
    ("QTUM", "퀀텀", "Qtum", 2_900.0),
    ("ICX", "아이콘", "ICON", 160.0),
    ("ZIL", "질리카", "Zilliqa", 16.0),
    ("ONT", "온톨로지", "Ontology", 190.0),
    ("IOST", "아이오에스티", "IOST", 5.1),
    ("BAT", "베이직어텐션토큰", "Basic Attention Token", 200.0),
    ("ENJ", "엔진코인", "Enjin", 100.0),
    ("GRT", "더그래프", "The Graph", 130.0),
    ("IMX", "이뮤터블엑스", "Immutable X", 700.0),
    ("SXP", "솔라", "Solar", 250.0),
    ("STORJ", "스토리지", "Storj", 370.0),
    ("KNC", "카이버네트워크", "Kyber Network", 480.0),
    ("ZRX", "제로엑스", "0x Protocol", 330.0),
    ("SNT", "스테이터스네트워크토큰", "Status Network Token", 38.0),
    ("MED", "메디블록", "MediBloc", 7.9),
    ("MLK", "밀크", "MiL.k", 210.0),
    ("BORA", "보라", "BORA", 110.0),
    ("HIVE", "하이브", "Hive", 310.0),
    ("STEEM", "스팀", "Steem", 200.0),
    ("ARDR", "아더", "Ardor", 98.0),
    ("GAS", "가스", "Gas", 3_900.0),
    ("CVC", "시빅", "Civic", 140.0),
    ("GLM", "골렘", "Golem", 380.0),
    ("ANKR", "앵커", "Ankr", 28.0),
    ("HUNT", "헌트", "HUNT", 390.0),
    ("MOC", "모스코인", "Moss Coin", 88.0),
    ("CRO", "크로노스", "Cronos", 140.0),
    ("1INCH", "1인치네트워크", "1inch Network", 300.0),
    ("T", "쓰레스홀드", "Threshold", 24.0),
    ("BLUR", "블러", "Blur", 140.0),
    ("CELO", "셀로", "Celo", 470.0),
    ("ELF", "엘프", "aelf", 380.0),
    ("GRS", "그로스톨코인", "Groestlcoin", 420.0),
    ("MINA", "미나", "Mina", 280.0),
    ("STG", "스타게이트파이낸스", "Stargate Finance", 290.0),
    ("W", "웜홀", "Wormhole", 110.0),
    ("ZRO", "레이어제로", "LayerZero", 2_900.0),
    ("TAIKO", "타이코", "Taiko", 600.0),
    ("PENDLE", "펜들", "Pendle", 5_000.0),
    ("USDC", "유에스디코인", "USD Coin", 1_380.0),
    ("PYTH", "피스네트워크", "Pyth Network", 150.0),
    ("ASTR", "아스타", "Astar", 38.0),
    ("MASK", "마스크네트워크", "Mask Network", 2_000.0),
    ("EGLD", "멀티버스엑스", "MultiversX", 21_000.0),
    ("ID", "스페이스아이디", "SPACE ID", 240.0),
    ("BIGTIME", "빅타임", "Big Time", 80.0),
    ("AKT", "아카시네트워크", "Akash Network", 1_900.0),
    ("AERGO", "아르고", "Aergo", 130.0),
    ("META", "메타디움", "Metadium", 39.0),
    ("ORBS", "오브스", "Orbs", 28.0),
    ("POWR", "파워렛저", "Powerledger", 210.0),
    ("XEC", "이캐시", "eCash", 0.0301),
    ("ZETA", "제타체인", "ZetaChain", 310.0),
    ("BEAM", "빔", "Beam", 9.4),
    ("ARK", "아크", "Ark", 480.0),
    ("IQ", "아이큐", "IQ", 6.2),
    ("STMX", "스톰엑스", "StormX", 4.9),
    ("HPO", "히포크랏", "Hippocrat", 95.0),
    ("CKB", "너보스", "Nervos Network", 6.3),
    ("SC", "시아코인", "Siacoin", 4.6),
    ("QKC", "쿼크체인", "QuarkChain", 11.0),
    ("BTT", "비트토렌트", "BitTorrent", 0.00121),
    ("JST", "저스트", "JUST", 46.0),
    ("AHT", "아하토큰", "AhaToken", 5.8),
    ("MVL", "엠블", "MVL", 4.7),
    ("CTC", "크레딧코인", "Creditcoin", 780.0),
    ("GMT", "스테픈", "STEPN", 75.0),
    ("UXLINK", "유엑스링크", "UXLINK", 480.0),
    ("TT", "썬더코어", "ThunderCore", 3.9),
    ("POLYX", "폴리매쉬", "Polymesh", 190.0),
    ("LSK", "리스크", "Lisk", 950.0),
    ("KAVA", "카바", "Kava", 520.0),
    ("ATH", "에이셔", "Aethir", 48.0),
    ("MEW", "캣인어독스월드", "cat in a dogs world", 4.6),
    ("LAYER", "솔레이어", "Solayer", 1_000.0),
    ("VIRTUAL", "버추얼프로토콜", "Virtuals Protocol", 2_100.0),
    ("MOVE", "무브먼트", "Movement", 200.0),
    ("ME", "매직에덴", "Magic Eden", 1_400.0),
    ("VANA", "바나", "Vana", 8_200.0),
    ("BERA", "베라체인", "Berachain", 3_800.0),
    ("ANIME", "애니메", "Animecoin", 31.0),
    ("IOTA", "아이오타", "IOTA", 290.0),
)

# Markets that also trade against BTC and USDT (a subset, as on Upbit).
_BTC_QUOTED = (
    "ETH",
    "XRP",
    "SOL",
    "DOGE",
    "ADA",
    "TRX",
    "LINK",
    "AVAX",
    "XLM",
    "BCH",
    "DOT",
    "ETC",
    "NEAR",
    "APT",
    "ATOM",
    "POL",
    "ARB",
    "SEI",
    "STX",
    "AAVE",
    "UNI",
    "WLD",
    "TIA",
    "EOS",
    "SAND",
    "MANA",
    "AXS",
    "ALGO",
    "VET",
    "FLOW",
    "CHZ",
    "THETA",
    "XTZ",
    "NEO",
    "QTUM",
    "BAT",
    "ENJ",
    "GRT",
    "IMX",
    "STORJ",
    "KNC",
    "ZRX",
    "SNT",
    "HIVE",
    "STEEM",
    "ARDR",
    "GLM",
    "ANKR",
    "HUNT",
    "CRO",
    "1INCH",
    "CELO",
    "ELF",
    "MINA",
    "PYTH",
    "ASTR",
    "MASK",
    "EGLD",
    "AKT",
    "ZETA",
    "USDT",
)
_USDT_QUOTED = (
    "BTC",
    "ETH",
    "XRP",
    "SOL",
    "DOGE",
    "ADA",
    "TRX",
    "LINK",
    "AVAX",
    "XLM",
    "BCH",
    "DOT",
    "ETC",
    "SUI",
    "HBAR",
    "ONDO",
    "ENA",
    "SHIB",
    "PEPE",
    "NEAR",
    "APT",
    "UNI",
    "AAVE",
)

_SYLLABLES_LATIN = (
    "KA",
    "LO",
    "MI",
    "NU",
    "RA",
    "ZE",
    "TO",
    "VI",
    "SA",
    "DO",
    "PE",
    "XO",
    "QU",
    "BE",
    "FI",
    "GO",
    "HU",
    "JA",
    "WE",
    "YU",
)
_SYLLABLES_HANGUL = (
    "카",
    "로",
    "미",
    "누",
    "라",
    "제",
    "토",
    "비",
    "사",
    "도",
    "페",
    "소",
    "쿠",
    "베",
    "피",
    "고",
    "후",
    "자",
    "웨",
    "유",
)
_SUFFIXES = (
    ("체인", "Chain"),
    ("코인", "Coin"),
    ("네트워크", "Network"),
    ("프로토콜", "Protocol"),
    ("토큰", "Token"),
    ("스왑", "Swap"),
    ("파이", "Fi"),
    ("링크", "Link"),
)


@dataclass(frozen=True, slots=True)
class SimMarket:
    """One simulated market and the parameters that drive its prices."""

    index: int  # stable per catalogue; seeds every random draw of this market
    code: str  # e.g. KRW-BTC
    quote: str
    base: str
    korean_name: str
    english_name: str
    reference_price: float  # price level on REFERENCE_DAY, in the quote currency
    daily_volatility: float  # standard deviation of the daily log return
    activity: float  # chance that a given minute has at least one trade
    trades_per_minute: float  # mean trades in an active minute
    daily_turnover: float  # mean daily traded value, in the quote currency
    listing_day: int  # first UTC day with trades
    warning: bool
    caution: dict[str, bool]


def _long_tail(count: int, taken: set[str], rng: np.random.Generator) -> list[tuple[str, str, str]]:
    names: list[tuple[str, str, str]] = []
    while len(names) < count:
        parts = rng.integers(0, len(_SYLLABLES_LATIN), size=2)
        suffix = _SUFFIXES[int(rng.integers(0, len(_SUFFIXES)))]
        ticker = "".join(_SYLLABLES_LATIN[p] for p in parts)
        if int(rng.integers(0, 3)) == 0:
            ticker = ticker[:3]
        if ticker in taken:
            continue
        taken.add(ticker)
        hangul = "".join(_SYLLABLES_HANGUL[p] for p in parts) + suffix[0]
        english = "".join(_SYLLABLES_LATIN[p].capitalize() for p in parts) + " " + suffix[1]
        names.append((ticker, hangul, english))
    return names


def build_catalogue(seed: int) -> list[SimMarket]:
    """Every simulated market, deterministic from ``seed``: KRW first, then BTC, then USDT."""
    rng = np.random.default_rng([seed, 1_000_003])
    coins: list[tuple[str, str, str, float]] = list(_REAL_COINS)
    tail = _long_tail(KRW_MARKET_COUNT - len(coins), {c[0] for c in coins}, rng)
    for ticker, korean, english in tail:
        price = float(10 ** rng.uniform(math.log10(0.5), math.log10(60_000)))
        coins.append((ticker, korean, english, price))
    prices = {c[0]: c[3] for c in coins}
    btc_krw = prices["BTC"]
    usdt_krw = prices["USDT"]
    markets: list[SimMarket] = []

    def add(quote: str, rank: int, coin: tuple[str, str, str, float], price: float) -> None:
        ticker, korean, english, _ = coin
        liquid = rank < 12 and quote == "KRW"
        mid = rank < 70 and quote == "KRW"
        if liquid:
            activity, trades = 0.995, float(rng.uniform(150, 300))
        elif mid:
            activity, trades = float(rng.uniform(0.85, 0.97)), float(rng.uniform(15, 60))
        elif quote == "KRW":
            activity, trades = float(rng.uniform(0.3, 0.8)), float(rng.uniform(2, 10))
        else:
            activity, trades = float(rng.uniform(0.05, 0.5)), float(rng.uniform(1, 4))
        turnover_krw = 3.0e11 / (1 + rank) ** 1.3 * (1.0 if quote == "KRW" else 0.02)
        to_quote = {"KRW": 1.0, "BTC": 1.0 / btc_krw, "USDT": 1.0 / usdt_krw}[quote]
        stable = ticker in ("USDT", "USDC")
        volatility = 0.004 if stable else (0.025 if rank < 3 else float(rng.uniform(0.03, 0.06)))
        if rank < 40:
            listing = FIRST_LISTING_DAY + int(rng.integers(0, 400))
        elif float(rng.random()) < 0.12:
            # A few recent listings so clients meet the start of history.
            listing = REFERENCE_DAY + int(rng.integers(-200, 60))
        else:
            listing = FIRST_LISTING_DAY + int(
                rng.integers(0, REFERENCE_DAY - FIRST_LISTING_DAY - 400)
            )
        warning = quote == "KRW" and rank > 150 and float(rng.random()) < 0.15
        caution = {
            key: bool(quote == "KRW" and rank > 60 and rng.random() < 0.04) for key in CAUTION_KEYS
        }
        markets.append(
            SimMarket(
                index=len(markets),
                code=f"{quote}-{ticker}",
                quote=quote,
                base=ticker,
                korean_name=korean,
                english_name=english,
                reference_price=price,
                daily_volatility=volatility,
                activity=activity,
                trades_per_minute=trades,
                daily_turnover=turnover_krw * to_quote,
                listing_day=listing,
                warning=warning,
                caution=caution,
            )
        )

    for rank, coin in enumerate(coins):
        add("KRW", rank, coin, coin[3])
    by_ticker = {c[0]: (rank, c) for rank, c in enumerate(coins)}
    for ticker in _BTC_QUOTED:
        rank, coin = by_ticker[ticker]
        add("BTC", rank, coin, coin[3] / btc_krw)
    for ticker in _USDT_QUOTED:
        rank, coin = by_ticker[ticker]
        add("USDT", rank, coin, coin[3] / usdt_krw)
    return markets


class Catalogue:
    """Markets by code, in ``/market/all`` order."""

    def __init__(self, seed: int) -> None:
        self.markets = build_catalogue(seed)
        self.by_code = {m.code: m for m in self.markets}

    def codes(self, quote: str | None = None) -> list[str]:
        """Market codes, optionally only those quoted in ``quote``."""
        return [m.code for m in self.markets if quote is None or m.quote == quote]

    def get(self, code: str) -> SimMarket | None:
        """The market with this code, or None."""
        return self.by_code.get(code)
