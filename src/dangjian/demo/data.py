"""Fixed names and figures of the demo county 示范县.

The figures follow what real counties report (see the issue): 15 townships and streets, 141 villages and
6 communities, 110 community grids, 94 grid branches and 18 party groups, 56 county departments.
Every name here is invented; any likeness to a real place is chance.
"""

DEMO_PASSWORD = "Demo@2026"
"""The one password of every demo account (8+ characters, upper, lower, digit and symbol)."""

# (username, role) of the demo accounts, in the order the command lists them.
DEMO_USERNAMES = [
    ("county_admin", "county_admin"),
    ("township_admin", "township_admin"),
    ("branch_secretary", "branch_secretary"),
    ("grid_worker", "grid_worker"),
    ("department_handler", "department_handler"),
    ("member", "member"),
    ("resident", "resident"),
]

COUNTY_CODE = "369901"  # an invented code: prefecture 3699 does not exist in GB/T 2260
COUNTY_NAME = "示范县"

# (name, level, number of communities, number of villages). Streets (街道) carry the 6 communities of the
# county seat; towns (镇) and townships (乡) carry the villages.
TOWNSHIPS = [
    ("城关街道", "street", 4, 3),
    ("东城街道", "street", 2, 5),
    ("青山镇", "township", 0, 12),
    ("白水镇", "township", 0, 11),
    ("石门镇", "township", 0, 10),
    ("龙泉镇", "township", 0, 13),
    ("桃源镇", "township", 0, 9),
    ("长岭镇", "township", 0, 12),
    ("新塘镇", "township", 0, 11),
    ("梅林乡", "township", 0, 8),
    ("双河乡", "township", 0, 10),
    ("云溪乡", "township", 0, 9),
    ("杨柳乡", "township", 0, 11),
    ("高坪乡", "township", 0, 7),
    ("金鸡乡", "township", 0, 10),
]

COMMUNITIES = ["解放路社区", "人民路社区", "文昌社区", "南门社区", "滨河社区", "新城社区"]
# Community grids per community (110 in all), and how many of them have their own grid branch (94 in all).
# The 16 grids without a branch have a party group (党小组) under a neighbouring grid branch.
COMMUNITY_GRIDS = [22, 20, 19, 18, 16, 15]
GRID_BRANCHES = [19, 17, 16, 15, 14, 13]
# Communities whose party organisation is a committee (社区大党委); the others are general branches.
COMMUNITY_COMMITTEES = {"解放路社区", "人民路社区", "滨河社区"}

# Village names: a first part and a second part, e.g. 张家 + 湾 → 张家湾村.
VILLAGE_FIRST = [
    "张家", "李家", "王家", "刘家", "陈家", "杨家", "赵家", "黄家", "周家", "吴家", "徐家", "孙家", "胡家",
    "朱家", "高家", "林家", "何家", "郭家", "马家", "罗家", "梁家", "宋家", "郑家", "谢家", "韩家", "唐家",
    "东", "西", "南", "北", "上", "下", "前", "后", "大", "小", "新", "老", "石", "柳", "桃", "杏", "枣",
    "松", "竹", "梅", "荷", "桑", "枫", "槐", "白沙", "青石", "红岩", "黄土", "清水", "团结", "和平", "光明",
]  # fmt: skip
VILLAGE_SECOND = [
    "庄", "湾", "坪", "岭", "冲", "塘", "桥", "沟", "坝", "铺", "店", "营", "寨", "屯", "畈", "岗", "洼",
    "河", "山", "园", "堡", "垸", "峪", "台",
]  # fmt: skip

# Party groups (党小组) in the community grids: one for each grid without its own branch, the rest in the
# micro-grids of the biggest grid branches.
PARTY_GROUPS = 18

# Dedicated grids (专属网格): (name suffix, index of the township in TOWNSHIPS, community or village).
DEDICATED_GRIDS = [
    ("农贸市场专属网格", 0, "community"),
    ("商业步行街专属网格", 1, "community"),
    ("工业园区专属网格", 2, "village"),
    ("物流园专属网格", 3, "village"),
    ("桃源景区专属网格", 6, "village"),
    ("食品产业园专属网格", 5, "village"),
]

ESTATES = [
    "锦绣花园", "阳光小区", "滨河花园", "翠苑小区", "金色家园", "文昌小区", "幸福里", "和谐家园", "书香苑",
    "御景华庭", "东方明珠小区", "惠民小区", "丽景湾", "紫荆苑", "康乐小区", "怡和苑", "百合园", "新华小区",
]  # fmt: skip

# The 56 county departments that take dispatched work orders (县直部门).
COUNTY_DEPARTMENTS = [
    "县委政法委员会", "县人民政府办公室", "县发展和改革局", "县教育体育局", "县工业和信息化局", "县公安局",
    "县民政局", "县司法局", "县财政局", "县人力资源和社会保障局", "县自然资源局", "市生态环境局示范县分局",
    "县住房和城乡建设局", "县交通运输局", "县水利局", "县农业农村局", "县商务局", "县文化广电旅游局",
    "县卫生健康委员会", "县退役军人事务局", "县应急管理局", "县审计局", "县市场监督管理局", "县统计局",
    "县医疗保障局", "县林业局", "县城市管理局", "县行政审批服务局", "县信访局", "县数据局",
    "县民族宗教事务局", "县机关事务服务中心", "县人民防空办公室", "县供销合作社联合社",
    "国家税务总局示范县税务局", "县气象局", "县消防救援大队", "县公路事业发展中心", "县住房公积金管理中心",
    "县残疾人联合会", "县妇女联合会", "共青团示范县委员会", "县总工会", "县科学技术协会", "县红十字会",
    "县融媒体中心", "县疾病预防控制中心", "县乡村振兴服务中心", "县不动产登记中心", "县社会保险事业中心",
    "县就业创业服务中心", "县公共资源交易中心", "县农业综合行政执法大队", "县交通运输综合行政执法大队",
    "县文化市场综合执法大队", "县畜牧兽医水产服务中心",
]  # fmt: skip

# Township stations (乡镇站所): name suffix and the county department they belong to.
STATIONS = [
    ("派出所", "县公安局"),
    ("司法所", "县司法局"),
    ("市场监督管理所", "县市场监督管理局"),
    ("自然资源所", "县自然资源局"),
    ("财政所", "县财政局"),
]

UTILITIES = [
    "国网示范县供电公司",
    "示范县自来水有限公司",
    "示范县燃气有限公司",
    "中国电信示范县分公司",
    "中国移动示范县分公司",
]

# Departments whose party organisation is a committee with branches below it (系统党委):
# (branch name, unit name or None for the department's own unit, member profile). Entries with
# "{township}" give one branch and one unit per town or township.
SYSTEM_COMMITTEES = {
    "县公安局": [
        ("县公安局机关党支部", None, "organ"),
        ("县公安局交通管理大队党支部", None, "organ"),
        ("县公安局刑事侦查大队党支部", None, "organ"),
        ("县公安局治安管理大队党支部", None, "organ"),
        ("县看守所党支部", None, "organ"),
    ],
    "县教育体育局": [
        ("县教育体育局机关党支部", None, "organ"),
        ("示范县第一中学党支部", "示范县第一中学", "school"),
        ("示范县第二中学党支部", "示范县第二中学", "school"),
        ("示范县实验小学党支部", "示范县实验小学", "school"),
        ("示范县城关第一小学党支部", "示范县城关第一小学", "school"),
        ("示范县实验幼儿园党支部", "示范县实验幼儿园", "school"),
        ("示范县职业中等专业学校党支部", "示范县职业中等专业学校", "school"),
        ("{township}中心小学党支部", "{township}中心小学", "school"),
        ("{township}初级中学党支部", "{township}初级中学", "school"),
    ],
    "县卫生健康委员会": [
        ("县卫生健康委员会机关党支部", None, "organ"),
        ("示范县人民医院第一党支部", "示范县人民医院", "hospital"),
        ("示范县人民医院第二党支部", "示范县人民医院", "hospital"),
        ("示范县中医院党支部", "示范县中医院", "hospital"),
        ("示范县妇幼保健院党支部", "示范县妇幼保健院", "hospital"),
        ("{township}卫生院党支部", "{township}卫生院", "hospital"),
    ],
}

# Other county organs with a branch under the organs' working committee but no work-order desk.
OTHER_ORGANS = [
    "县纪委监委机关", "县委办公室", "县委组织部", "县委宣传部", "县委统战部", "县人大常委会机关", "县政协机关",
    "县人民法院", "县人民检察院", "县委党校", "县档案馆",
]  # fmt: skip

STATE_ENTERPRISES = [
    "示范县城市建设投资集团有限公司", "示范县水务集团有限公司", "示范县交通投资集团有限公司",
    "示范县文化旅游投资有限公司", "示范县粮食收储有限公司", "示范县农业发展投资有限公司",
    "示范县国有资产经营有限公司", "示范县供销集团有限公司",
]  # fmt: skip

SOCIAL_ORGS = [
    "示范县个体劳动者协会", "示范县律师协会", "示范县慈善总会", "示范县物业管理协会", "示范县青年志愿者协会",
    "示范县阳光社会工作服务中心",
]  # fmt: skip

# Joint branches (联合党支部) of the delivery and transport industry committee.
INDUSTRY_BRANCHES = [
    "城关片区快递物流联合党支部",
    "东城片区快递物流联合党支部",
    "网约车驾驶员联合党支部",
    "外卖骑手联合党支部",
]

# Trades of the county's private enterprises (company names are a Faker stem + trade + 有限公司).
INDUSTRIES = [
    "农业科技", "生态农业", "食品", "茶业", "果业", "养殖", "建材", "新材料", "机械制造", "电子", "纺织", "服饰",
    "商贸", "物流", "电子商务", "建筑工程", "环保科技", "旅游开发", "餐饮管理", "物业服务",
]  # fmt: skip

# Mobile phone prefixes in use (13x–19x).
PHONE_PREFIXES = [
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155", "156",
    "157", "158", "159", "166", "173", "176", "177", "180", "181", "182", "183", "185", "186", "187", "188",
    "189", "191", "198", "199",
]  # fmt: skip

# Where members born outside the county were born (the first six digits of their ID numbers). Every
# code is in the prefecture 3699, which does not exist, so no synthetic ID number can be a real person's.
OTHER_BIRTH_REGIONS = ["369902", "369903", "369921", "369922", "369923", "369924", "369981"]

# Minority ethnicities of the county (GB/T 3304 codes): 回, 苗, 壮, 满, 土家, 侗, 瑶, 畲.
MINORITIES = ["03", "06", "08", "11", "15", "12", "13", "22"]

# Jobs by kind of member.
JOBS = {
    "village": ["农民", "农民", "农民", "农民", "农民", "个体工商户", "村干部", "合作社负责人", "乡村医生", "乡村教师",
                "退役军人"],
    "community": ["社区工作者", "企业职工", "个体工商户", "自由职业者", "教师", "医务人员", "物业服务人员"],
    "organ": ["公务员", "公务员", "参照公务员法管理人员", "事业单位管理人员", "工勤技能人员"],
    "school": ["教师", "教师", "教师", "学校管理人员"],
    "hospital": ["医生", "护士", "医技人员", "医院管理人员"],
    "institution": ["事业单位专业技术人员", "事业单位管理人员", "工勤技能人员"],
    "state_enterprise": ["企业管理人员", "企业专业技术人员", "企业职工"],
    "private": ["企业负责人", "企业管理人员", "企业专业技术人员", "企业职工", "企业职工"],
    "gig": ["快递员", "网约车驾驶员", "外卖骑手", "物流企业职工"],
    "social": ["社会组织负责人", "社会组织从业人员", "社会工作者"],
}  # fmt: skip

# What a branch secretary's job is called, by kind of branch (others: 党支部书记).
SECRETARY_JOBS = {
    "village": "村党组织书记",
    "grid": "网格党支部书记",
    "joint": "联合党支部书记",
    "gig": "联合党支部书记",
}
