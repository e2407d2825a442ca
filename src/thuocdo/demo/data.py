"""Facts of the demo agency. Names are invented; structure follows the Ban's published shape."""

from __future__ import annotations

from dataclasses import dataclass

AGENCY_CODE = "BCSCL"
AGENCY_NAME = "Ban Chính sách, chiến lược Trung ương"
AGENCY_NAME_EN = "Central Policy and Strategy Commission"
AGENCY_SHORT = "Ban CS,CL TW"
DEMO_PASSWORD = "ThuocDo@2025"


@dataclass(frozen=True)
class UnitSpec:
    code: str
    name: str
    name_en: str
    kind: str  # "department" or "office"
    staff: int  # people without a leadership post
    jobs: tuple[str, ...]  # professional job positions of the unit
    fields: tuple[str, ...]  # fields the deputies are assigned, one per deputy
    offices: tuple[UnitSpec, ...] = ()
    head_title: str = "Vụ trưởng"
    deputy_title: str = "Phó Vụ trưởng"


def office(code: str, name: str, name_en: str, staff: int, jobs: tuple[str, ...]) -> UnitSpec:
    return UnitSpec(
        code,
        name,
        name_en,
        "office",
        staff,
        jobs,
        ("",),
        head_title="Trưởng phòng",
        deputy_title="Phó Trưởng phòng",
    )


UNITS: tuple[UnitSpec, ...] = (
    UnitSpec(
        "VP",
        "Văn phòng Ban",
        "Office of the Commission",
        "department",
        2,
        ("Chuyên viên tổng hợp",),
        ("Công tác tổng hợp, thi đua – khen thưởng", "Hành chính, quản trị, tài chính"),
        offices=(
            office(
                "VP-TH",
                "Phòng Tổng hợp",
                "General Affairs Division",
                5,
                ("Chuyên viên tổng hợp", "Chuyên viên thi đua – khen thưởng"),
            ),
            office(
                "VP-TCCB",
                "Phòng Tổ chức cán bộ",
                "Personnel Division",
                4,
                ("Chuyên viên tổ chức cán bộ", "Chuyên viên đào tạo, bồi dưỡng"),
            ),
            office(
                "VP-HCQT",
                "Phòng Hành chính – Quản trị",
                "Administration Division",
                5,
                ("Văn thư – lưu trữ", "Kế toán", "Nhân viên phục vụ"),
            ),
        ),
        head_title="Chánh Văn phòng",
        deputy_title="Phó Chánh Văn phòng",
    ),
    UnitSpec(
        "V-KTVM",
        "Vụ Kinh tế vĩ mô",
        "Department of Macroeconomic Policy",
        "department",
        10,
        (
            "Chuyên viên nghiên cứu chính sách tài khoá",
            "Chuyên viên nghiên cứu tiền tệ, tín dụng",
            "Chuyên viên phân tích dự báo kinh tế",
        ),
        ("Tài khoá, ngân sách", "Tiền tệ, tín dụng"),
    ),
    UnitSpec(
        "V-KTN",
        "Vụ Kinh tế ngành",
        "Department of Sectoral Economics",
        "department",
        10,
        ("Chuyên viên chính sách công nghiệp", "Chuyên viên chính sách thương mại, dịch vụ"),
        ("Công nghiệp, năng lượng", "Thương mại, dịch vụ"),
    ),
    UnitSpec(
        "V-NN",
        "Vụ Nông nghiệp, nông dân, nông thôn",
        "Department of Agriculture and Rural Affairs",
        "department",
        9,
        ("Chuyên viên chính sách nông nghiệp", "Chuyên viên chính sách phát triển nông thôn"),
        ("Nông nghiệp", "Nông thôn mới"),
    ),
    UnitSpec(
        "V-VHXH",
        "Vụ Văn hoá – Xã hội",
        "Department of Culture and Social Affairs",
        "department",
        10,
        (
            "Chuyên viên chính sách văn hoá",
            "Chuyên viên chính sách lao động, an sinh xã hội",
            "Chuyên viên chính sách y tế, dân số",
        ),
        ("Văn hoá, thể thao", "Lao động, an sinh xã hội"),
    ),
    UnitSpec(
        "V-KHCN",
        "Vụ Khoa học, công nghệ và chuyển đổi số",
        "Department of Science, Technology and Digital Transformation",
        "department",
        9,
        ("Chuyên viên chính sách khoa học, công nghệ", "Chuyên viên chuyển đổi số"),
        ("Khoa học, công nghệ", "Chuyển đổi số"),
    ),
    UnitSpec(
        "V-DN",
        "Vụ Chính sách đối ngoại và hội nhập quốc tế",
        "Department of Foreign Policy and International Integration",
        "department",
        8,
        ("Chuyên viên nghiên cứu đối ngoại", "Chuyên viên hội nhập kinh tế quốc tế"),
        ("Đối ngoại", "Hội nhập kinh tế"),
    ),
    UnitSpec(
        "V-CL",
        "Vụ Chiến lược phát triển",
        "Department of Development Strategy",
        "department",
        9,
        ("Chuyên viên nghiên cứu chiến lược", "Chuyên viên dự báo, quy hoạch"),
        ("Chiến lược dài hạn", "Quy hoạch, dự báo"),
    ),
    UnitSpec(
        "V-TNMT",
        "Vụ Tài nguyên, môi trường và biến đổi khí hậu",
        "Department of Natural Resources, Environment and Climate Change",
        "department",
        8,
        ("Chuyên viên chính sách tài nguyên", "Chuyên viên chính sách môi trường, khí hậu"),
        ("Tài nguyên, đất đai", "Môi trường, biến đổi khí hậu"),
    ),
    UnitSpec(
        "V-DP",
        "Vụ Địa phương",
        "Department of Local Affairs",
        "department",
        9,
        ("Chuyên viên theo dõi địa bàn phía Bắc", "Chuyên viên theo dõi địa bàn phía Nam"),
        ("Địa bàn phía Bắc", "Địa bàn phía Nam"),
    ),
    UnitSpec(
        "TT-TTDL",
        "Trung tâm Thông tin và Dữ liệu",
        "Information and Data Centre",
        "department",
        8,
        ("Kỹ sư hệ thống thông tin", "Chuyên viên quản trị dữ liệu", "Biên tập viên"),
        ("Hạ tầng, an toàn thông tin",),
        head_title="Giám đốc Trung tâm",
        deputy_title="Phó Giám đốc Trung tâm",
    ),
)

LEADERSHIP = (
    ("head", "Trưởng Ban", ()),
    ("deputy", "Phó Trưởng Ban Thường trực", ("Thường trực; công tác tổ chức cán bộ, văn phòng",)),
    ("deputy", "Phó Trưởng Ban", ("Kinh tế vĩ mô, kinh tế ngành, chiến lược phát triển",)),
    ("deputy", "Phó Trưởng Ban", ("Văn hoá – xã hội, khoa học công nghệ, địa phương",)),
)

SURNAMES = (
    ("Nguyễn", 38),
    ("Trần", 11),
    ("Lê", 9),
    ("Phạm", 7),
    ("Hoàng", 5),
    ("Huỳnh", 3),
    ("Phan", 4),
    ("Vũ", 4),
    ("Võ", 3),
    ("Đặng", 3),
    ("Bùi", 3),
    ("Đỗ", 3),
    ("Hồ", 2),
    ("Ngô", 2),
    ("Dương", 2),
    ("Lý", 1),
    ("Đinh", 1),
    ("Trịnh", 1),
    ("Lương", 1),
    ("Tạ", 1),
)
MIDDLE_MALE = (
    "Văn",
    "Đức",
    "Minh",
    "Quang",
    "Hữu",
    "Thành",
    "Công",
    "Xuân",
    "Mạnh",
    "Tiến",
    "Quốc",
    "Anh",
    "Trọng",
    "Hoài",
)
MIDDLE_FEMALE = (
    "Thị",
    "Thu",
    "Ngọc",
    "Thanh",
    "Minh",
    "Hồng",
    "Phương",
    "Thuỳ",
    "Bích",
    "Diệu",
    "Khánh",
    "Mai",
    "Hải",
    "Kim",
)
GIVEN_MALE = (
    "Anh",
    "Bình",
    "Cường",
    "Dũng",
    "Đức",
    "Hải",
    "Hùng",
    "Huy",
    "Khánh",
    "Long",
    "Minh",
    "Nam",
    "Phong",
    "Quân",
    "Sơn",
    "Thắng",
    "Trung",
    "Tuấn",
    "Việt",
    "Vinh",
    "Hiếu",
    "Kiên",
    "Lâm",
    "Nghĩa",
    "Phúc",
    "Tâm",
    "Thịnh",
    "Toàn",
    "Tùng",
    "Lộc",
)
GIVEN_FEMALE = (
    "Anh",
    "Chi",
    "Dung",
    "Giang",
    "Hà",
    "Hạnh",
    "Hằng",
    "Hoa",
    "Hương",
    "Lan",
    "Linh",
    "Mai",
    "Ngân",
    "Nhung",
    "Oanh",
    "Phương",
    "Thảo",
    "Trang",
    "Vân",
    "Yến",
    "Huyền",
    "Loan",
    "My",
    "Nga",
    "Quyên",
    "Thơ",
    "Thuý",
    "Uyên",
    "Xuân",
    "Ánh",
)

# One demo login per role: username → (role in Vietnamese, in English).
DEMO_LOGINS = {
    "lanhdao": ("Lãnh đạo cơ quan (Trưởng Ban)", "Agency leadership"),
    "truongvu": ("Lãnh đạo đơn vị (Vụ trưởng)", "Unit head"),
    "phovu": ("Cấp phó (Phó Vụ trưởng)", "Deputy head"),
    "chuyenvien": ("Công chức (chuyên viên)", "Official"),
    "tochuc": ("Tổ chức cán bộ", "Personnel office"),
    "thanhtra": ("Thanh tra, kiểm tra", "Auditor"),
}
