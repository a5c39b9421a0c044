"""Single source of the portal's UI strings (English, Simplified Chinese).

Run `python3 build/tools/ui_strings.py` to regenerate src/DeepSeek.Portal/Resources/SharedResource{,.zh-Hans}.resx.
Keeping both languages in one table makes a missing translation impossible; a test also checks the two files have the same keys.
"""
import os
from xml.sax.saxutils import escape

S = {
    "Accumulation": ("Gradient accumulation", "梯度累积步数"),
    "Active": ("Active", "正常"),
    "Add": ("Add", "添加"),
    "AddUser": ("Add a user", "添加用户"),
    "ApiDocs": ("API (OpenAPI)", "API（OpenAPI）"),
    "Attempts": ("Attempts", "启动次数"),
    "Cancel": ("Cancel run", "取消运行"),
    "CancelRequested": ("Cancellation requested: the run stops after its current micro-batch.", "已请求取消：运行将在当前微批次结束后停止。"),
    "Characters": ("Characters", "字符数"),
    "CreateAdmin": ("Create administrator", "创建管理员"),
    "Created": ("Created", "创建时间"),
    "CreatedBy": ("Created by", "创建者"),
    "Dataset": ("Dataset", "数据集"),
    "DatasetName": ("Name", "名称"),
    "Datasets": ("Datasets", "数据集"),
    "Demo": ("demo", "演示"),
    "DemoRunName": ("Demo run", "演示训练"),
    "DemoText": ("Trains the tiny DeepSeek-architecture model (MLA attention, DeepSeekMoE) on the bilingual banking-support demo dataset with the default settings. The loss curve appears within seconds.",
                 "使用默认设置，在中英双语银行客服演示数据集上训练微型 DeepSeek 架构模型（MLA 注意力、DeepSeekMoE）。损失曲线将在数秒内出现。"),
    "DemoTitle": ("Try a training run", "试一次训练"),
    "Device": ("Engine device", "训练设备"),
    "DeviceHint": ("CUDA when a GPU is visible to libtorch, otherwise CPU.", "libtorch 检测到 GPU 时使用 CUDA，否则使用 CPU。"),
    "EffectiveBatch": ("Effective batch size", "等效批大小"),
    "Email": ("Email", "邮箱"),
    "Error": ("Something went wrong.", "出现错误。"),
    "Eta": ("Time left", "剩余时间"),
    "FirstRun": ("First start", "首次启动"),
    "Format": ("Format", "格式"),
    "HeldOutPerplexity": ("Held-out perplexity", "验证集困惑度"),
    "Imported": ("Imported \"{0}\": {1} records.", "已导入“{0}”：{1} 条记录。"),
    "InvalidSettings": ("These settings cannot be run; nothing was queued:", "这些设置无法运行，未加入队列："),
    "Language": ("Language", "语言"),
    "ImportAtLine": (", line {0}", "，第 {0} 行"),
    "ImportAtField": (", field \"{0}\"", "，字段“{0}”"),
    "ImportKind_UnsupportedFormat": ("unsupported file type", "不支持的文件类型"),
    "ImportKind_FileTooLarge": ("file too large", "文件过大"),
    "ImportKind_InvalidUtf8": ("not valid UTF-8", "不是有效的 UTF-8 编码"),
    "ImportKind_MalformedJson": ("malformed JSON", "JSON 格式错误"),
    "ImportKind_NotAnObject": ("not a JSON object", "不是 JSON 对象"),
    "ImportKind_MissingField": ("missing field", "缺少字段"),
    "ImportKind_WrongType": ("wrong type", "字段类型错误"),
    "ImportKind_EmptyText": ("empty text", "文本为空"),
    "ImportKind_ControlCharacter": ("control character", "包含控制字符"),
    "ImportKind_RecordTooLong": ("record too long", "记录过长"),
    "ImportKind_TooManyRecords": ("too many records", "记录数超出上限"),
    "ImportKind_NoRecords": ("no records", "没有记录"),
    "ImportKind_TooManyErrors": ("too many errors", "错误过多，其余未检查"),
    "LaunchRun": ("Launch a training run", "启动训练"),
    "LearningRate": ("Learning rate", "学习率"),
    "LockedOut": ("The account is locked after repeated failures; try again in 10 minutes.", "多次登录失败，账户已锁定，请 10 分钟后重试。"),
    "LockedOutShort": ("Locked", "已锁定"),
    "Loss": ("Loss", "损失"),
    "MicroBatch": ("Micro-batch size", "微批大小"),
    "NoRuns": ("No runs yet.", "暂无训练运行。"),
    "NotAllowed": ("Your role does not allow this page.", "您的角色无权访问此页面。"),
    "NotFound": ("Page not found.", "页面不存在。"),
    "NotImported": ("The file was not imported. Nothing was stored.", "文件未导入，未保存任何内容。"),
    "Optional": ("optional", "可选"),
    "Overview": ("Overview", "概览"),
    "Parameters": ("Parameters", "参数量"),
    "Password": ("Password", "密码"),
    "PasswordRule": ("At least 10 characters, with upper- and lower-case letters and a digit.", "至少 10 个字符，包含大小写字母和数字。"),
    "PerplexityHint": ("exp(mean cross-entropy) on the 5 % held-out split, computed when the run finishes.", "运行结束时在 5% 留出集上计算：exp(平均交叉熵)。"),
    "Precision": ("Precision", "精度"),
    "Preview": ("Preview", "预览"),
    "Progress": ("Progress", "进度"),
    "ReadOnlyRole": ("Your role can read runs and reports; engineers launch runs.", "您的角色可以查看运行和报告；由工程师启动训练。"),
    "Reconnecting": ("Connection lost — reconnecting…", "连接中断，正在重连……"),
    "Records": ("Records", "记录数"),
    "RememberMe": ("Keep me signed in", "保持登录"),
    "Role": ("Role", "角色"),
    "Role_Admin": ("Administrator", "管理员"),
    "Role_Engineer": ("ML engineer", "机器学习工程师"),
    "Role_Stakeholder": ("Business stakeholder", "业务方"),
    "Role_Manager": ("Manager", "经理"),
    "RunName": ("Run", "运行"),
    "RunNotFound": ("Run {0} does not exist.", "运行 {0} 不存在。"),
    "RunQueued": ("Run {0} queued.", "运行 {0} 已加入队列。"),
    "Seed": ("Seed", "随机种子"),
    "SequenceLength": ("Sequence length", "序列长度"),
    "Settings": ("Settings", "设置"),
    "SetupClosed": ("The portal already has an administrator.", "门户已有管理员。"),
    "SetupCode": ("Setup code (from the portal's log)", "设置码（见门户日志）"),
    "SetupExplain": ("No user exists yet. Enter the one-time setup code printed in the portal's log and choose the administrator's email and password.",
                     "尚无用户。请输入门户日志中的一次性设置码，并设置管理员邮箱和密码。"),
    "SetupLink": ("Create the administrator", "创建管理员"),
    "SetupNeeded": ("No administrator exists yet.", "尚未创建管理员。"),
    "SignIn": ("Sign in", "登录"),
    "SignOut": ("Sign out", "退出"),
    "Size": ("Size", "大小"),
    "Start": ("Start", "开始"),
    "StartDemo": ("Start demo run", "开始演示训练"),
    "Status": ("Status", "状态"),
    "Status_Queued": ("Queued", "排队中"),
    "Status_Running": ("Running", "运行中"),
    "Status_Succeeded": ("Succeeded", "已完成"),
    "Status_Failed": ("Failed", "失败"),
    "Status_Cancelled": ("Cancelled", "已取消"),
    "Step": ("Step", "步数"),
    "Steps": ("Steps", "训练步数"),
    "TokensPerSecond": ("Tokens/s", "词元/秒"),
    "TooLarge": ("The file is too large.", "文件过大。"),
    "TooLargeDetail": ("{0} is {1}; the upload limit is {2}.", "{0} 大小为 {1}，上传上限为 {2}。"),
    "TrainingRuns": ("Training runs", "训练运行"),
    "Upload": ("Upload a dataset", "上传数据集"),
    "UploadHint": ("JSONL (one object per line: text, instruction/input/output, prompt/completion or conversations) or TXT (documents separated by blank lines), UTF-8, up to {0}. Any error rejects the whole file.",
                   "JSONL（每行一个对象：text、instruction/input/output、prompt/completion 或 conversations）或 TXT（文档之间以空行分隔），UTF-8 编码，最大 {0}。任何错误都会拒绝整个文件。"),
    "UserAdded": ("Added {0}.", "已添加 {0}。"),
    "Users": ("Users", "用户"),
    "WarmupCosine": ("{0} warm-up steps, then cosine decay", "{0} 步预热，然后余弦衰减"),
    "Welcome": ("DeepSeek Portal", "DeepSeek 门户"),
    "WelcomeText": ("Feed your DeepSeek models your own data: import and clean datasets, fine-tune and evaluate, and watch every run live.",
                    "用您自己的数据投喂 DeepSeek 模型：导入并清洗数据集，微调与评估，并实时查看每次训练。"),
    "WrongCredentials": ("Wrong email or password.", "邮箱或密码错误。"),
}

HEAD = """<?xml version="1.0" encoding="utf-8"?>
<root>
  <resheader name="resmimetype"><value>text/microsoft-resx</value></resheader>
  <resheader name="version"><value>2.0</value></resheader>
  <resheader name="reader"><value>System.Resources.ResXResourceReader, System.Windows.Forms, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089</value></resheader>
  <resheader name="writer"><value>System.Resources.ResXResourceWriter, System.Windows.Forms, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089</value></resheader>
"""

def write(path, idx):
    with open(path, "w", encoding="utf-8") as f:
        f.write(HEAD)
        for key in sorted(S):
            f.write(f'  <data name="{key}" xml:space="preserve"><value>{escape(S[key][idx])}</value></data>\n')
        f.write("</root>\n")

root = os.path.join(os.path.dirname(__file__), "..", "..", "src", "DeepSeek.Portal", "Resources")
write(os.path.join(root, "SharedResource.resx"), 0)
write(os.path.join(root, "SharedResource.zh-Hans.resx"), 1)
print(f"{len(S)} strings written")
