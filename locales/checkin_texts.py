"""The check-in's texts (bot/conversation/checkin.py) in every catalog: adds or renews only these msgids.

Run from the project root: `.venv/bin/python locales/checkin_texts.py`. Idempotent: an entry of one of these
msgids is replaced by the one here, every other entry of a catalog stays exactly as it is (nothing is
re-sorted or re-wrapped), and entries missing from locales/messages.pot are added to it.
"""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

LOCALES = Path(__file__).resolve().parent
Plural = tuple[str, str]

# msgid (or singular, plural) -> locale -> translation (a list for plural forms, in the catalog's order)
TEXTS: dict[str | Plural, dict[str, str | list[str]]] = {
    # the command menu's line for /stop (bot/conversation/notices.py COMMANDS)
    "No more questions from me": {
        "de": "Keine Nachfragen mehr",
        "de@simple": "Keine Fragen mehr vom Bot",
        "ar": "لا مزيد من الأسئلة مني",
        "fa": "دیگر از من سؤال نشود",
        "hr": "Bez daljnjih pitanja",
        "it": "Niente più domande da me",
        "ku": "Êdî pirs ji min tune",
        "pl": "Koniec pytań ode mnie",
        "ro": "Fără alte întrebări de la mine",
        "ru": "Больше не спрашивать",
        "sq": "Mos më pyet më",
        "tr": "Benden başka soru yok",
        "uk": "Більше не запитувати",
    },
    (
        "May I ask you in {count} day whether it worked out?",
        "May I ask you in {count} days whether it worked out?",
    ): {
        "de": [
            "Darf ich Sie in {count} Tag fragen, ob es geklappt hat?",
            "Darf ich Sie in {count} Tagen fragen, ob es geklappt hat?",
        ],
        "de@simple": [
            "Darf ich Sie in {count} Tag fragen: Hat es geklappt?",
            "Darf ich Sie in {count} Tagen fragen: Hat es geklappt?",
        ],
        "ar": [
            "هل تسمحون لي أن أسألكم بعد {count} يوم إن كان الأمر قد نجح؟",
            "هل تسمحون لي أن أسألكم بعد {count} يوم إن كان الأمر قد نجح؟",
            "هل تسمحون لي أن أسألكم بعد {count} يوم إن كان الأمر قد نجح؟",
            "هل تسمحون لي أن أسألكم بعد {count} أيام إن كان الأمر قد نجح؟",
            "هل تسمحون لي أن أسألكم بعد {count} يومًا إن كان الأمر قد نجح؟",
            "هل تسمحون لي أن أسألكم بعد {count} يوم إن كان الأمر قد نجح؟",
        ],
        "fa": [
            "اجازه می‌دهید {count} روز دیگر بپرسم که آیا کار درست شد؟",
            "اجازه می‌دهید {count} روز دیگر بپرسم که آیا کار درست شد؟",
        ],
        "hr": [
            "Smijem li Vas za {count} dan pitati je li uspjelo?",
            "Smijem li Vas za {count} dana pitati je li uspjelo?",
            "Smijem li Vas za {count} dana pitati je li uspjelo?",
        ],
        "it": [
            "Posso chiederLe tra {count} giorno se ha funzionato?",
            "Posso chiederLe tra {count} giorni se ha funzionato?",
        ],
        "ku": [
            "Ez dikarim piştî {count} rojê ji we bipirsim ka bi ser ket an na?",
            "Ez dikarim piştî {count} rojan ji we bipirsim ka bi ser ket an na?",
        ],
        "pl": [
            "Czy mogę za {count} dzień zapytać, czy się udało?",
            "Czy mogę za {count} dni zapytać, czy się udało?",
            "Czy mogę za {count} dni zapytać, czy się udało?",
        ],
        "ro": [
            "Vă pot întreba peste {count} zi dacă a mers?",
            "Vă pot întreba peste {count} zile dacă a mers?",
            "Vă pot întreba peste {count} de zile dacă a mers?",
        ],
        "ru": [
            "Можно через {count} день спросить вас, получилось ли?",
            "Можно через {count} дня спросить вас, получилось ли?",
            "Можно через {count} дней спросить вас, получилось ли?",
        ],
        "sq": [
            "A mund t'ju pyes pas {count} dite nëse funksionoi?",
            "A mund t'ju pyes pas {count} ditësh nëse funksionoi?",
        ],
        "tr": [
            "{count} gün sonra işe yarayıp yaramadığını size sorabilir miyim?",
            "{count} gün sonra işe yarayıp yaramadığını size sorabilir miyim?",
        ],
        "uk": [
            "Можна через {count} день запитати вас, чи вдалося?",
            "Можна через {count} дні запитати вас, чи вдалося?",
            "Можна через {count} днів запитати вас, чи вдалося?",
        ],
    },
    "Yes, ask me": {
        "de": "Ja, fragen Sie mich",
        "de@simple": "Ja, fragen Sie mich",
        "ar": "نعم، اسألوني",
        "fa": "بله، بپرسید",
        "hr": "Da, pitajte me",
        "it": "Sì, me lo chieda",
        "ku": "Erê, ji min bipirse",
        "pl": "Tak, proszę zapytać",
        "ro": "Da, întrebați-mă",
        "ru": "Да, спросите",
        "sq": "Po, më pyesni",
        "tr": "Evet, sorun",
        "uk": "Так, запитайте",
    },
    "No, thanks": {
        "de": "Nein, danke",
        "de@simple": "Nein, danke",
        "ar": "لا، شكرًا",
        "fa": "نه، ممنون",
        "hr": "Ne, hvala",
        "it": "No, grazie",
        "ku": "Na, spas",
        "pl": "Nie, dziękuję",
        "ro": "Nu, mulțumesc",
        "ru": "Нет, спасибо",
        "sq": "Jo, faleminderit",
        "tr": "Hayır, teşekkürler",
        "uk": "Ні, дякую",
    },
    (
        "Thank you! I'll ask you in {count} day. /stop ends such questions.",
        "Thank you! I'll ask you in {count} days. /stop ends such questions.",
    ): {
        "de": [
            "Danke! Ich frage Sie in {count} Tag. Mit /stop beenden Sie solche Fragen.",
            "Danke! Ich frage Sie in {count} Tagen. Mit /stop beenden Sie solche Fragen.",
        ],
        "de@simple": [
            "Danke! Ich frage Sie in {count} Tag. Sie möchten keine Fragen mehr? Dann schreiben Sie /stop.",
            "Danke! Ich frage Sie in {count} Tagen. Sie möchten keine Fragen mehr? Dann schreiben Sie /stop.",
        ],
        "ar": [
            "شكرًا! سأسألكم بعد {count} يوم. يمكنكم إيقاف هذه الأسئلة عبر /stop.",
            "شكرًا! سأسألكم بعد {count} يوم. يمكنكم إيقاف هذه الأسئلة عبر /stop.",
            "شكرًا! سأسألكم بعد {count} يوم. يمكنكم إيقاف هذه الأسئلة عبر /stop.",
            "شكرًا! سأسألكم بعد {count} أيام. يمكنكم إيقاف هذه الأسئلة عبر /stop.",
            "شكرًا! سأسألكم بعد {count} يومًا. يمكنكم إيقاف هذه الأسئلة عبر /stop.",
            "شكرًا! سأسألكم بعد {count} يوم. يمكنكم إيقاف هذه الأسئلة عبر /stop.",
        ],
        "fa": [
            "ممنون! {count} روز دیگر از شما می‌پرسم. با /stop این سؤال‌ها تمام می‌شود.",
            "ممنون! {count} روز دیگر از شما می‌پرسم. با /stop این سؤال‌ها تمام می‌شود.",
        ],
        "hr": [
            "Hvala! Pitat ću Vas za {count} dan. S /stop prestaju takva pitanja.",
            "Hvala! Pitat ću Vas za {count} dana. S /stop prestaju takva pitanja.",
            "Hvala! Pitat ću Vas za {count} dana. S /stop prestaju takva pitanja.",
        ],
        "it": [
            "Grazie! Glielo chiederò tra {count} giorno. Con /stop non riceverà più queste domande.",
            "Grazie! Glielo chiederò tra {count} giorni. Con /stop non riceverà più queste domande.",
        ],
        "ku": [
            "Spas! Ez ê piştî {count} rojê ji we bipirsim. Bi /stop ev pirs bi dawî dibin.",
            "Spas! Ez ê piştî {count} rojan ji we bipirsim. Bi /stop ev pirs bi dawî dibin.",
        ],
        "pl": [
            "Dziękuję! Zapytam za {count} dzień. Komenda /stop kończy takie pytania.",
            "Dziękuję! Zapytam za {count} dni. Komenda /stop kończy takie pytania.",
            "Dziękuję! Zapytam za {count} dni. Komenda /stop kończy takie pytania.",
        ],
        "ro": [
            "Mulțumesc! Vă întreb peste {count} zi. Cu /stop opriți astfel de întrebări.",
            "Mulțumesc! Vă întreb peste {count} zile. Cu /stop opriți astfel de întrebări.",
            "Mulțumesc! Vă întreb peste {count} de zile. Cu /stop opriți astfel de întrebări.",
        ],
        "ru": [
            "Спасибо! Я спрошу вас через {count} день. Команда /stop отключает такие вопросы.",
            "Спасибо! Я спрошу вас через {count} дня. Команда /stop отключает такие вопросы.",
            "Спасибо! Я спрошу вас через {count} дней. Команда /stop отключает такие вопросы.",
        ],
        "sq": [
            "Faleminderit! Do t'ju pyes pas {count} dite. Me /stop mbarojnë pyetje të tilla.",
            "Faleminderit! Do t'ju pyes pas {count} ditësh. Me /stop mbarojnë pyetje të tilla.",
        ],
        "tr": [
            "Teşekkürler! {count} gün sonra size soracağım. /stop ile bu soruları durdurabilirsiniz.",
            "Teşekkürler! {count} gün sonra size soracağım. /stop ile bu soruları durdurabilirsiniz.",
        ],
        "uk": [
            "Дякую! Я запитаю вас через {count} день. Команда /stop вимикає такі запитання.",
            "Дякую! Я запитаю вас через {count} дні. Команда /stop вимикає такі запитання.",
            "Дякую! Я запитаю вас через {count} днів. Команда /stop вимикає такі запитання.",
        ],
    },
    "Okay, I won't ask.": {
        "de": "In Ordnung, ich frage nicht nach.",
        "de@simple": "Gut. Ich frage nicht nach.",
        "ar": "حسنًا، لن أسأل.",
        "fa": "باشه، نمی‌پرسم.",
        "hr": "U redu, neću pitati.",
        "it": "Va bene, non glielo chiederò.",
        "ku": "Baş e, ez ê nepirsim.",
        "pl": "Dobrze, nie będę pytać.",
        "ro": "Bine, nu vă voi întreba.",
        "ru": "Хорошо, я не буду спрашивать.",
        "sq": "Në rregull, nuk do t'ju pyes.",
        "tr": "Tamam, sormayacağım.",
        "uk": "Добре, я не питатиму.",
    },
    "Hello again! You allowed me to ask you this:": {
        "de": "Hallo, hier ist noch einmal der Familienlotse! Sie haben mir erlaubt, Sie das zu fragen:",
        "de@simple": "Hallo, hier ist wieder der Familienlotse! Sie haben Ja gesagt. Darum frage ich jetzt:",
        "ar": "مرحبًا من جديد! لقد سمحتم لي أن أسألكم:",
        "fa": "دوباره سلام! به من اجازه دادید این را بپرسم:",
        "hr": "Opet pozdrav! Dopustili ste mi da Vas ovo pitam:",
        "it": "Salve di nuovo! Mi ha permesso di chiederLe questo:",
        "ku": "Dîsa silav! We destûr da ku ez vê ji we bipirsim:",
        "pl": "Dzień dobry ponownie! Zgoda na to pytanie została udzielona:",
        "ro": "Bună ziua din nou! Mi-ați permis să vă întreb:",
        "ru": "Здравствуйте ещё раз! Вы разрешили мне спросить:",
        "sq": "Përshëndetje sërish! Më lejuat t'ju pyes këtë:",
        "tr": "Tekrar merhaba! Size bunu sormama izin vermiştiniz:",
        "uk": "Вітаю знову! Ви дозволили мені запитати:",
    },
    "One last time, then I won't ask again:": {
        "de": "Ein letztes Mal, dann frage ich nicht mehr:",
        "de@simple": "Ich frage ein letztes Mal. Dann frage ich nicht mehr:",
        "ar": "للمرة الأخيرة، ثم لن أسأل مرة أخرى:",
        "fa": "برای آخرین بار، بعد دیگر نمی‌پرسم:",
        "hr": "Posljednji put, onda više neću pitati:",
        "it": "Un'ultima volta, poi non chiederò più:",
        "ku": "Cara dawî, paşê ez ê êdî nepirsim:",
        "pl": "Ostatni raz, potem już nie zapytam:",
        "ro": "Ultima dată, apoi nu mai întreb:",
        "ru": "В последний раз, потом я больше не спрошу:",
        "sq": "Për herë të fundit, pastaj nuk do të pyes më:",
        "tr": "Son bir kez soruyorum, sonra bir daha sormayacağım:",
        "uk": "Востаннє, потім я більше не питатиму:",
    },
    "Did you reach “{offer}”?": {
        "de": "Haben Sie „{offer}“ erreicht?",
        "de@simple": "Haben Sie „{offer}“ erreicht?",
        "ar": "هل وصلتم إلى «{offer}»؟",
        "fa": "آیا به «{offer}» دسترسی پیدا کردید؟",
        "hr": "Jeste li stupili u kontakt s „{offer}“?",
        "it": "È riuscita a raggiungere «{offer}»?",
        "ku": "We xwe gihand “{offer}”?",
        "pl": "Czy udało się skontaktować z „{offer}”?",
        "ro": "Ați reușit să ajungeți la „{offer}”?",
        "ru": "Вам удалось связаться с «{offer}»?",
        "sq": "A arritët të lidheni me “{offer}”?",
        "tr": "“{offer}” ile iletişime geçebildiniz mi?",
        "uk": "Вам вдалося зв'язатися з «{offer}»?",
    },
    "Did you reach the help your Lotse found for you?": {
        "de": "Haben Sie die Hilfe erreicht, die Ihr Lotse für Sie gefunden hat?",
        "de@simple": "Ihr Lotse hat Hilfe für Sie gefunden. Haben Sie die Hilfe bekommen?",
        "ar": "هل وصلتم إلى المساعدة التي وجدها لكم المرشد؟",
        "fa": "آیا به کمکی که راهنمای شما برایتان پیدا کرد، رسیدید؟",
        "hr": "Jeste li dobili pomoć koju Vam je Lotse pronašao?",
        "it": "Ha ricevuto l'aiuto che il Lotse ha trovato per Lei?",
        "ku": "We xwe gihand wê alîkariya ku Lotseyê we ji we re dît?",
        "pl": "Czy udało się dotrzeć do pomocy, którą znalazł Lotse?",
        "ro": "Ați ajuns la ajutorul pe care Lotse l-a găsit pentru dumneavoastră?",
        "ru": "Вы получили помощь, которую нашёл для вас Лотсе?",
        "sq": "A e morët ndihmën që Lotse-ja gjeti për ju?",
        "tr": "Lotse'nizin sizin için bulduğu yardıma ulaşabildiniz mi?",
        "uk": "Ви отримали допомогу, яку знайшов для вас Лотсе?",
    },
    "Not yet": {
        "de": "Noch nicht",
        "de@simple": "Noch nicht",
        "ar": "ليس بعد",
        "fa": "هنوز نه",
        "hr": "Još ne",
        "it": "Non ancora",
        "ku": "Hîn na",
        "pl": "Jeszcze nie",
        "ro": "Încă nu",
        "ru": "Пока нет",
        "sq": "Ende jo",
        "tr": "Henüz değil",
        "uk": "Ще ні",
    },
    "No, it didn't work": {
        "de": "Nein, hat nicht geklappt",
        "de@simple": "Nein, hat nicht geklappt",
        "ar": "لا، لم ينجح",
        "fa": "نه، نشد",
        "hr": "Ne, nije uspjelo",
        "it": "No, non ha funzionato",
        "ku": "Na, nebû",
        "pl": "Nie, nie udało się",
        "ro": "Nu, n-a mers",
        "ru": "Нет, не получилось",
        "sq": "Jo, nuk funksionoi",
        "tr": "Hayır, olmadı",
        "uk": "Ні, не вдалося",
    },
    "I'm sorry. What got in the way?": {
        "de": "Das tut mir leid. Woran lag es?",
        "de@simple": "Das tut mir leid. Was war das Problem?",
        "ar": "يؤسفني ذلك. ما الذي منعكم؟",
        "fa": "متأسفم. چه چیزی مانع شد؟",
        "hr": "Žao mi je. Što je bilo problem?",
        "it": "Mi dispiace. Che cosa non ha funzionato?",
        "ku": "Ez xemgîn im. Çi rê li ber girt?",
        "pl": "Przykro mi. Co stanęło na przeszkodzie?",
        "ro": "Îmi pare rău. Ce v-a împiedicat?",
        "ru": "Мне жаль. Что помешало?",
        "sq": "Më vjen keq. Çfarë ju pengoi?",
        "tr": "Üzgünüm. Ne engel oldu?",
        "uk": "Мені шкода. Що завадило?",
    },
    "Always busy, no answer": {
        "de": "Immer besetzt, keine Antwort",
        "de@simple": "Immer besetzt, keine Antwort",
        "ar": "مشغول دائمًا، لا رد",
        "fa": "همیشه اشغال، بی‌جواب",
        "hr": "Uvijek zauzeto, bez odgovora",
        "it": "Sempre occupato, nessuno risponde",
        "ku": "Her tim mijûl, bersiv tune",
        "pl": "Zawsze zajęte, brak odpowiedzi",
        "ro": "Mereu ocupat, niciun răspuns",
        "ru": "Всегда занято, нет ответа",
        "sq": "Gjithmonë e zënë, pa përgjigje",
        "tr": "Hep meşgul, cevap yok",
        "uk": "Завжди зайнято, немає відповіді",
    },
    "No place free": {
        "de": "Kein Platz frei",
        "de@simple": "Kein Platz frei",
        "ar": "لا يوجد مكان شاغر",
        "fa": "جای خالی نبود",
        "hr": "Nema slobodnog mjesta",
        "it": "Nessun posto libero",
        "ku": "Cihê vala tune",
        "pl": "Brak wolnych miejsc",
        "ro": "Niciun loc liber",
        "ru": "Нет свободных мест",
        "sq": "Nuk ka vend të lirë",
        "tr": "Boş yer yok",
        "uk": "Немає вільних місць",
    },
    "Language problems": {
        "de": "Sprachprobleme",
        "de@simple": "Probleme mit der Sprache",
        "ar": "مشكلة في اللغة",
        "fa": "مشکل زبان",
        "hr": "Problemi s jezikom",
        "it": "Problemi di lingua",
        "ku": "Pirsgirêka zimên",
        "pl": "Problemy językowe",
        "ro": "Probleme de limbă",
        "ru": "Языковые трудности",
        "sq": "Probleme me gjuhën",
        "tr": "Dil sorunu",
        "uk": "Мовні труднощі",
    },
    "Too far away": {
        "de": "Zu weit weg",
        "de@simple": "Zu weit weg",
        "ar": "بعيد جدًا",
        "fa": "خیلی دور",
        "hr": "Predaleko",
        "it": "Troppo lontano",
        "ku": "Pir dûr",
        "pl": "Za daleko",
        "ro": "Prea departe",
        "ru": "Слишком далеко",
        "sq": "Shumë larg",
        "tr": "Çok uzak",
        "uk": "Надто далеко",
    },
    "I was not eligible": {
        "de": "Ich hatte keinen Anspruch",
        "de@simple": "Ich durfte nicht hin",
        "ar": "لم يحق لي ذلك",
        "fa": "شامل من نمی‌شد",
        "hr": "Nisam imao/la pravo",
        "it": "Non ne avevo diritto",
        "ku": "Mafê min tune bû",
        "pl": "Nie przysługiwało mi",
        "ro": "Nu aveam dreptul",
        "ru": "Мне не положено",
        "sq": "Nuk kisha të drejtë",
        "tr": "Hakkım yoktu",
        "uk": "Мені не належало",
    },
    "Something else": {
        "de": "Etwas anderes",
        "de@simple": "Etwas anderes",
        "ar": "شيء آخر",
        "fa": "چیز دیگری",
        "hr": "Nešto drugo",
        "it": "Altro",
        "ku": "Tiştekî din",
        "pl": "Coś innego",
        "ro": "Altceva",
        "ru": "Другое",
        "sq": "Diçka tjetër",
        "tr": "Başka bir şey",
        "uk": "Інше",
    },
    "Good that it worked! Did it help you?": {
        "de": "Schön, dass es geklappt hat! Hat es Ihnen geholfen?",
        "de@simple": "Schön, das hat geklappt! Hat es Ihnen geholfen?",
        "ar": "جميل أن الأمر نجح! هل ساعدكم ذلك؟",
        "fa": "خوب است که شد! آیا به شما کمک کرد؟",
        "hr": "Drago mi je da je uspjelo! Je li Vam pomoglo?",
        "it": "Bene che abbia funzionato! L'ha aiutata?",
        "ku": "Baş e ku bi ser ket! Ma alîkariya we kir?",
        "pl": "Dobrze, że się udało! Czy to pomogło?",
        "ro": "Mă bucur că a mers! V-a ajutat?",
        "ru": "Хорошо, что получилось! Это вам помогло?",
        "sq": "Mirë që funksionoi! A ju ndihmoi?",
        "tr": "İyi ki oldu! Size yardımcı oldu mu?",
        "uk": "Добре, що вдалося! Це вам допомогло?",
    },
    "Partly": {
        "de": "Teilweise",
        "de@simple": "Ein bisschen",
        "ar": "جزئيًا",
        "fa": "تا حدی",
        "hr": "Djelomično",
        "it": "In parte",
        "ku": "Hinekî",
        "pl": "Częściowo",
        "ro": "Parțial",
        "ru": "Отчасти",
        "sq": "Pjesërisht",
        "tr": "Kısmen",
        "uk": "Частково",
    },
    (
        "Thank you for telling me. A person from here can look for another way with you. "
        "Shall I pass it on to a Lotse, or show you other offers?"
    ): {
        "de": "Danke, dass Sie es mir sagen. Ein Mensch von hier kann mit Ihnen einen anderen Weg suchen. "
        "Soll ich es an einen Lotsen weitergeben, oder soll ich Ihnen andere Angebote zeigen?",
        "de@simple": "Danke für Ihre Antwort. Ein Mensch von hier kann mit Ihnen einen anderen Weg suchen. "
        "Soll ich das an einen Lotsen geben? Oder soll ich Ihnen andere Angebote zeigen?",
        "ar": "شكرًا لإخباري. يمكن لشخص من هنا أن يبحث معكم عن طريق آخر. "
        "هل أنقل الأمر إلى مرشد، أم أعرض عليكم خدمات أخرى؟",
        "fa": "ممنون که گفتید. یک نفر از اینجا می‌تواند با شما راه دیگری پیدا کند. "
        "آن را به یک راهنما بسپارم یا خدمات دیگری نشانتان بدهم؟",
        "hr": "Hvala što ste mi rekli. Osoba odavde može s Vama potražiti drugi put. "
        "Da proslijedim Lotseu ili da Vam pokažem druge ponude?",
        "it": "Grazie di avermelo detto. Una persona di qui può cercare con Lei un'altra strada. "
        "Lo passo a un Lotse o Le mostro altri servizi?",
        "ku": "Spas ku we ji min re got. Kesek ji vir dikare bi we re rêyeke din bibîne. "
        "Ez wê bidim Lotseyekî, an xizmetên din nîşanî we bidim?",
        "pl": "Dziękuję za informację. Osoba stąd może razem poszukać innej drogi. "
        "Czy przekazać to Lotse, czy pokazać inne oferty?",
        "ro": "Mulțumesc că mi-ați spus. O persoană de aici poate căuta împreună cu dumneavoastră altă cale. "
        "Să transmit unui Lotse sau să vă arăt alte oferte?",
        "ru": "Спасибо, что рассказали. Человек отсюда может вместе с вами поискать другой путь. "
        "Передать это Лотсе или показать другие предложения?",
        "sq": "Faleminderit që më thatë. Një person nga këtu mund të kërkojë me ju një rrugë tjetër. "
        "Ta përcjell te një Lotse, apo t'ju tregoj shërbime të tjera?",
        "tr": "Bana söylediğiniz için teşekkürler. Buradan biri sizinle başka bir yol arayabilir. "
        "Bir Lotse'ye ileteyim mi, yoksa size başka hizmetler mi göstereyim?",
        "uk": "Дякую, що розповіли. Людина звідси може разом з вами пошукати інший шлях. "
        "Передати це Лотсе чи показати інші пропозиції?",
    },
    "Other offers": {
        "de": "Andere Angebote",
        "de@simple": "Andere Angebote",
        "ar": "خدمات أخرى",
        "fa": "خدمات دیگر",
        "hr": "Druge ponude",
        "it": "Altri servizi",
        "ku": "Xizmetên din",
        "pl": "Inne oferty",
        "ro": "Alte oferte",
        "ru": "Другие предложения",
        "sq": "Shërbime të tjera",
        "tr": "Başka hizmetler",
        "uk": "Інші пропозиції",
    },
    "That's wonderful! Thank you for telling me. All the best to you!": {
        "de": "Wie schön! Danke, dass Sie es mir sagen. Alles Gute für Sie!",
        "de@simple": "Wie schön! Danke für Ihre Antwort. Alles Gute für Sie!",
        "ar": "هذا رائع! شكرًا لإخباري. أتمنى لكم كل الخير!",
        "fa": "چه خوب! ممنون که گفتید. برایتان بهترین‌ها را آرزو می‌کنم!",
        "hr": "Divno! Hvala što ste mi rekli. Sve najbolje!",
        "it": "Che bello! Grazie di avermelo detto. Tanti auguri!",
        "ku": "Çi xweş e! Spas ku we ji min re got. Her tişt baş be ji we re!",
        "pl": "Wspaniale! Dziękuję za informację. Wszystkiego dobrego!",
        "ro": "Minunat! Mulțumesc că mi-ați spus. Toate cele bune!",
        "ru": "Замечательно! Спасибо, что рассказали. Всего вам доброго!",
        "sq": "Shumë mirë! Faleminderit që më thatë. Ju uroj gjithë të mirat!",
        "tr": "Harika! Bana söylediğiniz için teşekkürler. Size her şeyin en iyisini dilerim!",
        "uk": "Чудово! Дякую, що розповіли. Усього вам доброго!",
    },
    "Thank you for telling me. If you need more help, a person from here is glad to help.": {
        "de": "Danke, dass Sie es mir sagen. Wenn Sie mehr Hilfe brauchen, hilft Ihnen gern ein Mensch von hier.",
        "de@simple": "Danke für Ihre Antwort. Sie brauchen mehr Hilfe? Dann hilft Ihnen gern ein Mensch von hier.",
        "ar": "شكرًا لإخباري. إذا احتجتم إلى مساعدة أكثر، فسيسعد شخص من هنا بمساعدتكم.",
        "fa": "ممنون که گفتید. اگر کمک بیشتری لازم دارید، یک نفر از اینجا با کمال میل کمک می‌کند.",
        "hr": "Hvala što ste mi rekli. Ako trebate više pomoći, osoba odavde rado će pomoći.",
        "it": "Grazie di avermelo detto. Se ha bisogno di altro aiuto, una persona di qui L'aiuta volentieri.",
        "ku": "Spas ku we ji min re got. Heke hûn bêtir alîkarî hewce dikin, kesek ji vir bi dilxweşî alîkarî dike.",
        "pl": "Dziękuję za informację. Jeśli potrzebna jest dalsza pomoc, osoba stąd chętnie pomoże.",
        "ro": "Mulțumesc că mi-ați spus. Dacă aveți nevoie de mai mult ajutor, o persoană de aici vă ajută bucuros.",
        "ru": "Спасибо, что рассказали. Если нужна ещё помощь, человек отсюда охотно поможет.",
        "sq": "Faleminderit që më thatë. Nëse keni nevojë për më shumë ndihmë, "
        "një person nga këtu ju ndihmon me kënaqësi.",
        "tr": "Bana söylediğiniz için teşekkürler. Daha fazla yardıma ihtiyacınız olursa "
        "buradan biri memnuniyetle yardım eder.",
        "uk": "Дякую, що розповіли. Якщо потрібна ще допомога, людина звідси охоче допоможе.",
    },
    "Okay. I'll ask once more in a few days.": {
        "de": "In Ordnung. Ich frage in ein paar Tagen noch einmal.",
        "de@simple": "Gut. Ich frage in ein paar Tagen noch einmal.",
        "ar": "حسنًا. سأسأل مرة أخرى بعد بضعة أيام.",
        "fa": "باشه. چند روز دیگر یک بار دیگر می‌پرسم.",
        "hr": "U redu. Pitat ću još jednom za nekoliko dana.",
        "it": "Va bene. Glielo richiederò tra qualche giorno.",
        "ku": "Baş e. Ez ê piştî çend rojan carek din bipirsim.",
        "pl": "Dobrze. Zapytam jeszcze raz za kilka dni.",
        "ro": "Bine. Vă mai întreb o dată peste câteva zile.",
        "ru": "Хорошо. Я спрошу ещё раз через несколько дней.",
        "sq": "Në rregull. Do të pyes edhe një herë pas disa ditësh.",
        "tr": "Tamam. Birkaç gün sonra bir kez daha soracağım.",
        "uk": "Добре. Я запитаю ще раз за кілька днів.",
    },
    "Okay. If it doesn't work out, just write /lotse and a person will help.": {
        "de": "In Ordnung. Wenn es nicht klappt, schreiben Sie einfach /lotse, dann hilft Ihnen ein Mensch.",
        "de@simple": "Gut. Es klappt nicht? Dann schreiben Sie /lotse. Dann hilft Ihnen ein Mensch.",
        "ar": "حسنًا. إذا لم ينجح الأمر، فاكتبوا /lotse وسيساعدكم شخص.",
        "fa": "باشه. اگر نشد، فقط /lotse بنویسید تا یک نفر کمک کند.",
        "hr": "U redu. Ako ne uspije, samo napišite /lotse i osoba će pomoći.",
        "it": "Va bene. Se non funziona, scriva /lotse e una persona L'aiuterà.",
        "ku": "Baş e. Heke nebe, tenê /lotse binivîsin û kesek dê alîkarî bike.",
        "pl": "Dobrze. Jeśli się nie uda, wystarczy napisać /lotse, a pomoże człowiek.",
        "ro": "Bine. Dacă nu merge, scrieți /lotse și vă ajută o persoană.",
        "ru": "Хорошо. Если не получится, просто напишите /lotse, и вам поможет человек.",
        "sq": "Në rregull. Nëse nuk funksionon, shkruani /lotse dhe një person do t'ju ndihmojë.",
        "tr": "Tamam. Olmazsa /lotse yazmanız yeterli, bir kişi yardım eder.",
        "uk": "Добре. Якщо не вдасться, просто напишіть /lotse, і вам допоможе людина.",
    },
    "Okay. I'm here whenever you need me.": {
        "de": "In Ordnung. Ich bin da, wann immer Sie mich brauchen.",
        "de@simple": "Gut. Ich bin immer für Sie da.",
        "ar": "حسنًا. أنا هنا متى احتجتم إليّ.",
        "fa": "باشه. هر وقت لازم داشتید، اینجا هستم.",
        "hr": "U redu. Tu sam kad god me trebate.",
        "it": "Va bene. Sono qui quando ha bisogno.",
        "ku": "Baş e. Kengê hûn hewce bikin, ez li vir im.",
        "pl": "Dobrze. Jestem tu zawsze, gdy będę potrzebny.",
        "ro": "Bine. Sunt aici oricând aveți nevoie.",
        "ru": "Хорошо. Я здесь, когда понадоблюсь.",
        "sq": "Në rregull. Jam këtu sa herë që keni nevojë.",
        "tr": "Tamam. İhtiyacınız olduğunda buradayım.",
        "uk": "Добре. Я тут, коли знадоблюся.",
    },
    "Okay, I won't write to you on my own any more. You can still write to me at any time.": {
        "de": "In Ordnung, ich schreibe Ihnen von mir aus nicht mehr. Sie können mir weiter jederzeit schreiben.",
        "de@simple": "Gut. Ich schreibe Ihnen nicht mehr von selbst. Sie können mir aber immer schreiben.",
        "ar": "حسنًا، لن أكتب لكم من تلقاء نفسي بعد الآن. ما زال بإمكانكم الكتابة لي في أي وقت.",
        "fa": "باشه، دیگر خودم به شما پیام نمی‌دهم. شما همچنان هر وقت خواستید می‌توانید بنویسید.",
        "hr": "U redu, više Vam neću sam pisati. I dalje mi možete pisati bilo kada.",
        "it": "Va bene, non Le scriverò più di mia iniziativa. Può comunque scrivermi quando vuole.",
        "ku": "Baş e, ez ê êdî bi serê xwe ji we re nenivîsim. Hûn dîsa jî dikarin her dem ji min re binivîsin.",
        "pl": "Dobrze, nie będę już pisać z własnej inicjatywy. Nadal można pisać do mnie w każdej chwili.",
        "ro": "Bine, nu vă mai scriu din proprie inițiativă. Îmi puteți scrie în continuare oricând.",
        "ru": "Хорошо, я больше не буду писать вам сам. Вы по-прежнему можете писать мне в любое время.",
        "sq": "Në rregull, nuk do t'ju shkruaj më vetë. Ju mund të më shkruani përsëri kur të doni.",
        "tr": "Tamam, artık size kendiliğimden yazmayacağım. Bana istediğiniz zaman yazmaya devam edebilirsiniz.",
        "uk": "Добре, я більше не писатиму вам сам. Ви й надалі можете писати мені будь-коли.",
    },
}

BRACES = re.compile(r"\{\w+\}")
MSGID = re.compile(r'^msgid ((?:"(?:[^"\\]|\\.)*"\n?)+)', re.MULTILINE)
QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')


def _ids() -> set[str]:
    return {key if isinstance(key, str) else key[0] for key in TEXTS}


def _entries(locale: str | None) -> str:
    """Our entries as a .po fragment (no header), in the catalog's own formatting."""
    catalog = Catalog(locale=locale, header_comment="")
    if locale:
        catalog = Catalog(locale=locale.replace("@simple", ""), header_comment="")
    for key, translations in TEXTS.items():
        flags = ("python-brace-format",) if BRACES.search(key if isinstance(key, str) else key[0]) else ()
        if locale is None:
            string: str | tuple[str, ...] = ("", "") if isinstance(key, tuple) else ""
        else:
            found = translations[locale]
            string = tuple(found) if isinstance(found, list) else found
        catalog.add(key, string, flags=flags)
    out = io.BytesIO()
    write_po(out, catalog, width=76, omit_header=True, no_location=True, sort_output=False)
    return out.getvalue().decode("utf-8")


def _msgid(block: str) -> str | None:
    """The msgid of one .po entry (its quoted pieces joined), or None for the header and comments."""
    found = MSGID.search(block)
    if found is None:
        return None
    pieces = QUOTED.findall(found.group(1))
    return "".join(bytes(p, "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8") for p in pieces)


def _without_ours(text: str) -> str:
    """The catalog text with every entry of our msgids removed (entries are separated by blank lines)."""
    ours = _ids()
    return "\n\n".join(block for block in text.split("\n\n") if _msgid(block) not in ours)


def update(path: Path, locale: str | None) -> None:
    text = path.read_text(encoding="utf-8").rstrip("\n")
    path.write_text(_without_ours(text).rstrip("\n") + "\n\n" + _entries(locale).strip("\n") + "\n", encoding="utf-8")


def main() -> int:
    codes = sorted(p.parent.parent.name for p in LOCALES.glob("*/LC_MESSAGES/messages.po"))
    for code in codes:
        missing = [k for k, v in TEXTS.items() if code not in v]
        if missing:
            print(f"{code}: keine Übersetzung für {missing[0]!r}", file=sys.stderr)
            return 1
    for code in codes:
        update(LOCALES / code / "LC_MESSAGES" / "messages.po", code)
    update(LOCALES / "messages.pot", None)
    print(f"{len(TEXTS)} Texte in {len(codes)} Katalogen und messages.pot")
    return 0


if __name__ == "__main__":
    sys.exit(main())
