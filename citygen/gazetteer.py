"""Reference data for the synthetic cities: real GB/T 2260 district codes, real street (街道/镇) and road
names where known, and the historical codes older resident IDs still carry.

Only codes and names are real; estates (小区), communities and house numbers are invented by
`addresses.py`. Hangzhou is described in detail; Shanghai and Beijing get real district codes and
invented streets, enough to run the generator for another city.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DistrictSpec:
    """One county-level division: its current code, name, population weight and what we know of it."""

    code: str
    name: str
    weight: float
    streets: tuple[str, ...] = ()
    roads: tuple[str, ...] = ()
    rural: bool = False
    #: (first year, last year, code) of the codes a person registered here in that year got
    lineage: tuple[tuple[int, int, str], ...] = ()


@dataclass(frozen=True)
class CitySpec:
    code: str
    province: str | None  # None for a municipality (the city is the province)
    name: str
    area_code: str
    districts: tuple[DistrictSpec, ...]


def words(text: str) -> tuple[str, ...]:
    """Space-separated data as a tuple (long word lists stay readable in source)."""
    return tuple(text.split())


HANGZHOU = CitySpec(
    code="330100",
    province="浙江省",
    name="杭州市",
    area_code="0571",
    districts=(
        DistrictSpec(
            "330102", "上城区", 1.32,
            words("湖滨街道 清波街道 小营街道 南星街道 紫阳街道 望江街道 采荷街道 凯旋街道 闸弄口街道 "
                   "四季青街道 笕桥街道 九堡街道 彭埠街道 丁兰街道"),
            words("延安路 解放路 庆春路 中山中路 南山路 江城路 秋涛路 凯旋路 望江路 清泰街 建国南路 "
                   "钱江路 新塘路 九堡大道 丁桥路 采荷路"),
            lineage=((1900, 2100, "330102"), (1900, 2020, "330104")),
        ),
        DistrictSpec(
            "330105", "拱墅区", 1.18,
            words("米市巷街道 湖墅街道 小河街道 和睦街道 拱宸桥街道 大关街道 上塘街道 祥符街道 康桥街道 "
                   "半山街道 武林街道 天水街道 朝晖街道 潮鸣街道 长庆街道 石桥街道 东新街道 文晖街道"),
            words("莫干山路 湖墅南路 大关路 登云路 上塘路 香积寺路 石祥路 东新路 潮王路 环城北路 "
                   "体育场路 凤起路 中河北路 建国北路 和睦路 小河路"),
            lineage=((1900, 2100, "330105"), (1900, 2020, "330103")),
        ),
        DistrictSpec(
            "330106", "西湖区", 1.15,
            words("北山街道 西溪街道 翠苑街道 古荡街道 西湖街道 留下街道 转塘街道 蒋村街道 灵隐街道 "
                   "文新街道 三墩镇 双浦镇"),
            words("文三路 文二路 文一路 天目山路 学院路 教工路 保俶路 古墩路 丰潭路 紫金港路 文一西路 "
                   "西溪路 之江路 留和路 学院街"),
            lineage=((1900, 2100, "330106"),),
        ),
        DistrictSpec(
            "330108", "滨江区", 0.50,
            words("西兴街道 长河街道 浦沿街道"),
            words("江南大道 滨盛路 长河路 江陵路 滨安路 网商路 南环路 浦沿路 东信大道 闻涛路 "
                   "江虹路 聚才路"),
            lineage=((1900, 1995, "330106"), (1996, 2100, "330108")),
        ),
        DistrictSpec(
            "330109", "萧山区", 2.00,
            words("城厢街道 北干街道 蜀山街道 新塘街道 宁围街道 新街街道 闻堰街道 所前镇 瓜沥镇 义桥镇 "
                   "党湾镇 益农镇"),
            words("市心中路 金城路 人民路 育才路 通惠路 北干山南路 山阴路 萧金路 建设一路 建设二路 "
                   "工人路 人民街"),
            rural=True,
            lineage=((1900, 1987, "330121"), (1988, 2000, "330181"), (2001, 2100, "330109")),
        ),
        DistrictSpec(
            "330110", "余杭区", 1.23,
            words("五常街道 仓前街道 闲林街道 中泰街道 余杭街道 良渚街道 仁和街道 瓶窑镇 径山镇 黄湖镇"),
            words("文一西路 五常大道 良睦路 高教路 余杭塘路 荆长大道 良渚路 人民大道 溪望路 "
                   "海曙路 龙舟路"),
            rural=True,
            lineage=((1900, 1993, "330125"), (1994, 2000, "330184"), (2001, 2100, "330110")),
        ),
        DistrictSpec(
            "330111", "富阳区", 0.83,
            words("富春街道 银湖街道 东洲街道 春江街道 鹿山街道 新登镇 场口镇"),
            words("桂花路 江滨西大道 金桥路 体育馆路 人民路 富春街 北环路 迎宾北路"),
            rural=True,
            lineage=((1900, 1993, "330123"), (1994, 2014, "330183"), (2015, 2100, "330111")),
        ),
        DistrictSpec(
            "330112", "临安区", 0.64,
            words("锦城街道 锦北街道 锦南街道 玲珑街道 青山湖街道 於潜镇 昌化镇"),
            words("钱王街 衣锦街 万马路 城中街 苕溪北街 人民路 科技大道"),
            rural=True,
            lineage=((1900, 1995, "330124"), (1996, 2016, "330185"), (2017, 2100, "330112")),
        ),
        DistrictSpec(
            "330113", "临平区", 1.10,
            words("临平街道 南苑街道 东湖街道 星桥街道 乔司街道 运河街道 崇贤街道 塘栖镇"),
            words("迎宾路 世纪大道 人民大道 南苑街 藕花洲大街 望梅路 东湖路 星桥路"),
            rural=True,
            lineage=((1900, 1993, "330125"), (1994, 2000, "330184"), (2001, 2020, "330110"),
                     (2021, 2100, "330113")),
        ),
        DistrictSpec(
            "330114", "钱塘区", 0.77,
            words("白杨街道 下沙街道 河庄街道 义蓬街道 新湾街道 临江街道 前进街道"),
            words("学林街 学源街 文泽路 文渊路 福城路 海达南路 下沙路 月雅路 学正街"),
            lineage=((1900, 2020, "330104"), (2021, 2100, "330114")),
        ),
        DistrictSpec(
            "330122", "桐庐县", 0.45,
            words("城南街道 旧县街道 桐君街道 凤川街道 分水镇 富春江镇"),
            words("迎春南路 白云源路 春江路 学圣路 人民路"),
            rural=True,
            lineage=((1900, 2100, "330122"),),
        ),
        DistrictSpec(
            "330127", "淳安县", 0.33,
            words("千岛湖镇 文昌镇 石林镇 汾口镇"),
            words("新安东路 新安大街 环湖北路 排岭南路"),
            rural=True,
            lineage=((1900, 2100, "330127"),),
        ),
        DistrictSpec(
            "330182", "建德市", 0.44,
            words("新安江街道 洋溪街道 更楼街道 梅城镇 寿昌镇"),
            words("新安路 严州大道 江滨中路 府东街 人民路"),
            rural=True,
            lineage=((1900, 1991, "330126"), (1992, 2100, "330182")),
        ),
    ),
)

SHANGHAI = CitySpec(
    code="310100",
    province=None,
    name="上海市",
    area_code="021",
    districts=tuple(
        DistrictSpec(code, name, weight, rural=rural)
        for code, name, weight, rural in (
            ("310101", "黄浦区", 0.66, False), ("310104", "徐汇区", 1.11, False),
            ("310105", "长宁区", 0.69, False), ("310106", "静安区", 0.97, False),
            ("310107", "普陀区", 1.24, False), ("310109", "虹口区", 0.76, False),
            ("310110", "杨浦区", 1.24, False), ("310112", "闵行区", 2.65, False),
            ("310113", "宝山区", 2.23, False), ("310114", "嘉定区", 1.83, False),
            ("310115", "浦东新区", 5.68, True), ("310116", "金山区", 0.82, True),
            ("310117", "松江区", 1.91, True), ("310118", "青浦区", 1.27, True),
            ("310120", "奉贤区", 1.14, True), ("310151", "崇明区", 0.64, True),
        )
    ),
)

BEIJING = CitySpec(
    code="110100",
    province=None,
    name="北京市",
    area_code="010",
    districts=tuple(
        DistrictSpec(code, name, weight, rural=rural)
        for code, name, weight, rural in (
            ("110101", "东城区", 0.71, False), ("110102", "西城区", 1.10, False),
            ("110105", "朝阳区", 3.45, False), ("110106", "丰台区", 2.02, False),
            ("110107", "石景山区", 0.57, False), ("110108", "海淀区", 3.13, False),
            ("110109", "门头沟区", 0.39, True), ("110111", "房山区", 1.31, True),
            ("110112", "通州区", 1.84, True), ("110113", "顺义区", 1.32, True),
            ("110114", "昌平区", 2.27, True), ("110115", "大兴区", 1.99, True),
            ("110116", "怀柔区", 0.44, True), ("110117", "平谷区", 0.46, True),
            ("110118", "密云区", 0.53, True), ("110119", "延庆区", 0.35, True),
        )
    ),
)

CITIES: dict[str, CitySpec] = {c.code: c for c in (HANGZHOU, SHANGHAI, BEIJING)}

#: Where migrants' resident IDs were issued: (code, hukou address prefix, weight).
#: Real codes; the weights are a rough picture of migration into an east-coast city.
MIGRANT_ORIGINS: tuple[tuple[str, str, float], ...] = (
    ("330203", "浙江省宁波市海曙区", 2.0), ("330302", "浙江省温州市鹿城区", 2.0),
    ("330402", "浙江省嘉兴市南湖区", 1.5), ("330502", "浙江省湖州市吴兴区", 1.2),
    ("330602", "浙江省绍兴市越城区", 2.0), ("330702", "浙江省金华市婺城区", 1.8),
    ("330802", "浙江省衢州市柯城区", 1.5), ("331002", "浙江省台州市椒江区", 1.8),
    ("331102", "浙江省丽水市莲都区", 1.2), ("330681", "浙江省诸暨市", 1.0),
    ("340102", "安徽省合肥市瑶海区", 1.5), ("341202", "安徽省阜阳市颍州区", 2.5),
    ("341222", "安徽省阜阳市太和县", 2.0), ("360102", "江西省南昌市东湖区", 1.5),
    ("410102", "河南省郑州市中原区", 1.5), ("411302", "河南省南阳市宛城区", 2.0),
    ("420102", "湖北省武汉市江岸区", 1.2), ("430102", "湖南省长沙市芙蓉区", 1.0),
    ("500101", "重庆市万州区", 1.5), ("510104", "四川省成都市锦江区", 1.2),
    ("511302", "四川省南充市顺庆区", 1.5), ("520102", "贵州省贵阳市南明区", 1.5),
    ("530102", "云南省昆明市五华区", 0.6), ("610102", "陕西省西安市新城区", 0.6),
    ("620102", "甘肃省兰州市城关区", 0.5), ("320102", "江苏省南京市玄武区", 0.8),
    ("320311", "江苏省徐州市泉山区", 0.8), ("370102", "山东省济南市历下区", 0.7),
    ("130102", "河北省石家庄市长安区", 0.5), ("140105", "山西省太原市小店区", 0.4),
    ("230102", "黑龙江省哈尔滨市道里区", 0.5), ("220102", "吉林省长春市南关区", 0.3),
    ("210102", "辽宁省沈阳市和平区", 0.4), ("350102", "福建省福州市鼓楼区", 0.6),
    ("440103", "广东省广州市荔湾区", 0.4), ("450102", "广西壮族自治区南宁市兴宁区", 0.5),
)

#: Origins of people with minority dot names (Xinjiang).
DOT_NAME_ORIGINS: tuple[tuple[str, str], ...] = (
    ("650102", "新疆维吾尔自治区乌鲁木齐市天山区"),
    ("653101", "新疆维吾尔自治区喀什地区喀什市"),
    ("652801", "新疆维吾尔自治区巴音郭楞蒙古自治州库尔勒市"),
)

#: Origin of people with Tibetan names (no surname, no dot).
TIBET_ORIGIN = ("540102", "西藏自治区拉萨市城关区")

#: Villages and townships for hukou addresses of migrants (not primary addresses, never scored).
HUKOU_TAILS: tuple[str, ...] = (
    "城关镇东街村", "新华乡王庄村", "河口镇李家村", "柳林乡张湾村", "大桥镇中心村", "石桥乡前进村",
    "马集镇刘楼村", "双河镇新民村", "白沙镇红光村", "高庙乡陈岗村", "东风街道幸福社区", "建设路街道南苑社区",
)
