"""Standard code lists (GB/T) used across the ledger."""

# GB/T 3304-1991 民族名称的罗马字母拼写法和代码: the 56 ethnic groups, code → name.
ETHNICITIES = {
    "01": "汉族", "02": "蒙古族", "03": "回族", "04": "藏族", "05": "维吾尔族", "06": "苗族", "07": "彝族",
    "08": "壮族", "09": "布依族", "10": "朝鲜族", "11": "满族", "12": "侗族", "13": "瑶族", "14": "白族",
    "15": "土家族", "16": "哈尼族", "17": "哈萨克族", "18": "傣族", "19": "黎族", "20": "傈僳族", "21": "佤族",
    "22": "畲族", "23": "高山族", "24": "拉祜族", "25": "水族", "26": "东乡族", "27": "纳西族", "28": "景颇族",
    "29": "柯尔克孜族", "30": "土族", "31": "达斡尔族", "32": "仫佬族", "33": "羌族", "34": "布朗族",
    "35": "撒拉族", "36": "毛南族", "37": "仡佬族", "38": "锡伯族", "39": "阿昌族", "40": "普米族",
    "41": "塔吉克族", "42": "怒族", "43": "乌孜别克族", "44": "俄罗斯族", "45": "鄂温克族", "46": "德昂族",
    "47": "保安族", "48": "裕固族", "49": "京族", "50": "塔塔尔族", "51": "独龙族", "52": "鄂伦春族",
    "53": "赫哲族", "54": "门巴族", "55": "珞巴族", "56": "基诺族",
}  # fmt: skip
ETHNICITY_CHOICES = list(ETHNICITIES.items())
_ETHNICITY_BY_NAME = {name: code for code, name in ETHNICITIES.items()}
_ETHNICITY_BY_NAME.update({name[:-1]: code for code, name in ETHNICITIES.items() if len(name) > 2})
_ETHNICITY_BY_NAME["汉"] = "01"
_ETHNICITY_BY_NAME["回"] = "03"
_ETHNICITY_BY_NAME["藏"] = "04"
_ETHNICITY_BY_NAME["苗"] = "06"
_ETHNICITY_BY_NAME["彝"] = "07"
_ETHNICITY_BY_NAME["壮"] = "08"
_ETHNICITY_BY_NAME["满"] = "11"
_ETHNICITY_BY_NAME["侗"] = "12"
_ETHNICITY_BY_NAME["瑶"] = "13"
_ETHNICITY_BY_NAME["白"] = "14"
_ETHNICITY_BY_NAME["傣"] = "18"
_ETHNICITY_BY_NAME["黎"] = "19"
_ETHNICITY_BY_NAME["佤"] = "21"
_ETHNICITY_BY_NAME["畲"] = "22"
_ETHNICITY_BY_NAME["水"] = "25"
_ETHNICITY_BY_NAME["土"] = "30"
_ETHNICITY_BY_NAME["羌"] = "33"
_ETHNICITY_BY_NAME["怒"] = "42"
_ETHNICITY_BY_NAME["京"] = "49"


def ethnicity_code(name: str) -> str | None:
    """'汉族', '汉' or '01' → '01'; None when it is not one of the 56."""
    name = (name or "").strip()
    if name in ETHNICITIES:
        return name
    return _ETHNICITY_BY_NAME.get(name)


# GB/T 4658-2006 学历代码, first level, as the party statistics tables group them.
EDUCATIONS = {
    "10": "研究生",
    "20": "大学本科",
    "30": "大学专科",
    "40": "中等专科",
    "50": "技工学校",
    "60": "高中",
    "70": "初中",
    "80": "小学",
    "90": "其他",
}
EDUCATION_CHOICES = list(EDUCATIONS.items())
_EDUCATION_SYNONYMS = {
    "博士": "10", "博士研究生": "10", "硕士": "10", "硕士研究生": "10", "研究生": "10",
    "本科": "20", "大学本科": "20", "大学": "20",
    "大专": "30", "专科": "30", "大学专科": "30", "高职": "30",
    "中专": "40", "中等专科": "40", "中等专业学校": "40",
    "技校": "50", "技工学校": "50", "中技": "50",
    "高中": "60", "普通高中": "60", "职业高中": "60", "职高": "60",
    "初中": "70", "初级中学": "70",
    "小学": "80", "小学及以下": "80",
    "其他": "90", "文盲": "90",
}  # fmt: skip


def education_code(name: str) -> str | None:
    name = (name or "").strip()
    if name in EDUCATIONS:
        return name
    return _EDUCATION_SYNONYMS.get(name)


GENDERS = {"male": "男", "female": "女"}
GENDER_BY_LABEL = {"男": "male", "女": "female", "男性": "male", "女性": "female"}
