"""The words of the street demo: the street and its communities, people's names, places,
what residents ask for, what the meetings are about. All invented; any likeness to a real
person, number or address is chance (the phone numbers are in 138-0000-xxxx, which no
operator hands out)."""

from __future__ import annotations

from typing import Final

STREET: Final = "矿山集街道"
POCKET_PARK: Final = "杜集社区"
"""The pocket park's community (:mod:`service.demo.loader`), put on the street."""
POCKET_GRID: Final = "第三网格"
"""The pocket park's grid, the first 杜集社区 set up."""

COMMUNITIES: Final = (  # name, grids, party branches, facilitator username, display name
    (POCKET_PARK, 14, 3, "zhuchi", "王主持"),
    ("龙山社区", 16, 4, "zhuchi-longshan", "陈主持"),
    ("桃园社区", 13, 3, "zhuchi-taoyuan", "刘主持"),
    ("南湖社区", 12, 3, "zhuchi-nanhu", "杨主持"),
    ("新华社区", 12, 2, "zhuchi-xinhua", "黄主持"),
    ("青石社区", 11, 2, "zhuchi-qingshi", "周主持"),
)
"""The street's six communities: 78 grids, 17 grid party branches. The pocket park's
facilitator (``zhuchi``) is 杜集社区's; the other five are the demo's own accounts."""

STREET_ACCOUNT: Final = ("jiedao", "赵科长")
"""The street office's account (role ``street``)."""

NUMERALS: Final = "一二三四五六七八九"


def numeral(n: int) -> str:
    """1 → 一, 10 → 十, 14 → 十四, 16 → 十六 (up to 99)."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else NUMERALS[tens - 1] + "十")
    return head + (NUMERALS[ones - 1] if ones else "")


SURNAMES: Final = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余"
    "杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙"
    "史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN: Final = (
    "建国华明伟芳秀英敏静丽强磊军洋勇艳杰娟涛超霞平刚桂兰红玉兵德福春梅海燕志宏文东晓"
    "峰亮荣琴雪婷凤云辉丹成林宇浩然淑珍桂芝玉兰永刚"
)
ADDRESSES: Final = ("阿姨", "大爷", "奶奶", "先生", "女士", "师傅")
"""How a resident who raised a request is written down when they wish to be named."""

ROLE_COUNTS: Final = {  # per community, besides one or two grid workers per grid
    "party_member": 8,
    "representative": 9,
    "elder": 5,
    "youth_volunteer": 6,
}
"""Team members of each community other than grid workers and building heads."""

PLACES: Final = (
    "{b}号楼东侧路口",
    "{b}号楼北侧人行道",
    "{b}号楼单元门口",
    "{b}号楼前小广场",
    "{b}号楼后排水沟",
    "小区南门",
    "小区北门岗亭旁",
    "社区卫生服务站门前",
    "菜市场西口",
    "健身广场",
    "幼儿园门口",
    "老年活动室",
    "垃圾分类投放点",
    "地下车库入口",
    "公交站台旁",
)

BODIES: Final[dict[str, tuple[str, ...]]] = {
    "roads": (
        "路面坑洼，雨天积水，老人走路容易滑倒",
        "人行道地砖松动翘起",
        "减速带损坏，车辆经过速度太快",
    ),
    "drainage": ("下水道堵塞，污水外溢", "雨水篦子缺失，存在安全隐患", "一下大雨就积水，没过脚踝"),
    "greenery": (
        "绿化带杂草丛生，蚊虫多",
        "树枝遮挡路灯和窗户，需要修剪",
        "草坪被踩出小路，希望补种",
    ),
    "sanitation": ("垃圾桶满溢，无人清运", "楼道堆放杂物，影响通行", "小广告乱贴，墙面脏乱"),
    "safety": ("路灯不亮，晚上走路看不清", "电动车在楼道充电，有火灾隐患", "消防通道被私家车占用"),
    "facilities": (
        "健身器材损坏，螺丝脱落",
        "单元门禁坏了，外人随意进出",
        "休息座椅不够，老人没地方坐",
    ),
    "neighbours": (
        "楼上漏水渗到楼下，两家协商不成",
        "广场舞音响声音太大，影响休息",
        "邻居养狗不拴绳，孩子害怕",
    ),
    "elderly_care": (
        "独居老人行动不便，希望有人定期探访",
        "希望社区食堂增加送餐服务",
        "老人不会用手机缴费，希望有人帮助",
    ),
    "property": (
        "物业维修不及时，报修多次没人来",
        "电梯经常停运，希望尽快检修",
        "停车收费标准不清楚，希望公示",
    ),
    "other": ("希望开设周末儿童托管班", "快递柜太少，包裹堆在门口", "希望社区多组织文体活动"),
}
"""What residents ask for, by category (:data:`service.db.street.REQUEST_CATEGORIES`)."""

ON_SPOT_NOTES: Final = (
    "网格员现场协调，已当场处理完毕",
    "联系物业当天维修，居民确认已解决",
    "已现场清理，并提醒居民注意",
    "已与当事人沟通，双方达成一致",
)
MEETING_CLOSES: Final = (
    "经议事会协商，按决定实施完毕，居民认可",
    "议事会议定方案已落实，回访居民满意",
    "按议事会决定由物业和网格员共同落实，已完成",
)
STREET_DEPARTMENTS: Final = ("城管科", "住建办", "综合执法队", "民政科", "平安办", "社区服务中心")
STREET_ANSWERS: Final = (
    "已安排专项资金维修，施工已完成",
    "已协调供电公司更换线路，恢复正常",
    "已纳入街道年度整治计划并组织实施",
    "已约谈物业公司限期整改，整改到位",
    "已联系区相关部门现场处置完毕",
)
STREET_RETURNS: Final = "街道已办结，退回社区回访销号"
REOPEN_REASON: Final = "居民反映问题反复，重新处理"

DELIBERATIONS: Final = (
    "楼道杂物清理办法",
    "小区停车秩序整治",
    "老旧小区加装电梯意见征集",
    "广场舞时间和音量约定",
    "电动车集中充电点选址",
    "垃圾分类督导值守安排",
    "小区绿化补植方案",
    "物业服务满意度评议",
    "雨季积水点整治",
    "社区食堂运营办法",
    "宠物文明饲养公约",
    "楼栋公共维修资金使用",
)
BRIEFINGS: Final = (  # title, the policy explained
    ("医保缴费政策宣讲", "城乡居民医保年度缴费标准和线上缴费办法"),
    ("养老服务补贴宣讲", "高龄津贴和居家养老服务补贴的申领条件"),
    ("垃圾分类政策宣讲", "生活垃圾分类管理办法及投放要求"),
    ("防范电信诈骗宣讲", "常见诈骗手法和反诈工具的使用"),
    ("消防安全知识宣讲", "电动车充电安全和家庭灭火器使用"),
    ("老旧小区改造政策宣讲", "改造内容、居民出资和意见征集程序"),
    ("就业创业扶持政策宣讲", "灵活就业社保补贴和创业担保贷款"),
    ("民法典进社区", "相邻关系、物业服务和居民议事的法律规定"),
)
VISITS: Final = (
    "独居老人入户走访",
    "困难家庭走访慰问",
    "网格民情走访",
    "新入住居民走访",
    "沿街商户走访",
)
MEETING_PLACES: Final = (
    "百姓说事点",
    "社区党群服务中心",
    "{b}号楼前小广场",
    "红板凳议事角",
    "社区会议室",
)
