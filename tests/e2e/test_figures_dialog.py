"""/gosterge through real HTTP: a cluster's figures entered, checked, corrected and stored."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session, col, select

from tracker.models import (
    Cluster,
    Dialog,
    Indicator,
    IndicatorValue,
    Organisation,
    Person,
    Role,
)


def buttons(message: dict) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


def store_previous(engine, code: str, value: str, period: str = "2013Q4") -> None:
    with Session(engine) as session:
        org = session.exec(
            select(Organisation).where(Organisation.short == "KY Organik Gıda")
        ).one()
        indicator = session.exec(select(Indicator).where(Indicator.code == code)).one()
        session.add(
            IndicatorValue(
                indicator_id=indicator.id,
                cluster_id=org.cluster_id,
                organisation_id=org.id,
                subject_key=f"c{org.cluster_id}",
                period=period,
                value=Decimal(value),
            )
        )
        session.commit()


async def answer(user, text: str) -> dict:
    await user.send(text)
    return await user.next_message()


async def press(user, message: dict, label: str) -> dict:
    await user.press(message, label)
    return await user.next_message()


async def skip(user, message: dict, times: int) -> dict:
    for _ in range(times):
        message = await press(user, message, "Atla")
    return message


async def test_a_cluster_reporter_enters_checks_corrects_and_saves(bot_env):
    store_previous(bot_env.engine, "G02", "12")
    store_previous(bot_env.engine, "G03", "40")
    user = await bot_env.register(2001, "KY Organik Gıda", Role.REPORTER)
    assert "gosterge" in [c["command"] for c in user.commands]

    first = await answer(user, "/gosterge")
    assert "İzmir Organik Gıda Kümesi · 2014 1. Çeyrek göstergeleri" in first["text"]
    assert "(1/22) Paydaş sayısı — birim: adet; geçerli aralık: 0 – 100.000" in first["text"]
    assert buttons(first) == ["Atla"]

    bad = await answer(user, "abc")
    assert bad["text"].startswith("⚠️ “abc” sayı olarak okunamadı.")
    assert "(1/22) Paydaş sayısı" in bad["text"]
    bad = await answer(user, "1,2,3")
    assert "Binlik ayırıcı olarak nokta, ondalık için tek bir virgül kullanın." in bad["text"]
    bad = await answer(user, "150.000")
    assert "150.000 geçerli aralığın dışında: değer 0 ile 100.000 arasında olmalı" in bad["text"]
    bad = await answer(user, "12,5")
    assert "Bu gösterge tam sayı ister (12,5 yazdınız)." in bad["text"]
    assert "(1/22) Paydaş sayısı" in bad["text"]

    second = await answer(user, "1.250")
    assert (
        "(2/22) Patent sayısı — birim: adet; geçerli aralık: 0 – 100.000; geçen dönem: 12"
        in (second["text"])
    )
    assert buttons(second) == ["Atla", "Geçen dönemle aynı (12)", "↩︎ Geri"]
    third = await press(user, second, "Geçen dönemle aynı (12)")
    assert "(3/22) Faydalı model sayısı" in third["text"] and "geçen dönem: 40" in third["text"]
    odd = await answer(user, "500")
    assert "Bu değer geçen dönemin (40) çok üstünde. Doğru mu?" in odd["text"]
    assert buttons(odd) == ["Evet, doğru", "Yeniden yaz"]
    fourth = await press(user, odd, "Evet, doğru")
    assert "(4/22) Marka tescili sayısı" in fourth["text"]
    fifth = await press(user, fourth, "Atla")
    assert "(5/22) İhracat değeri — birim: TL" in fifth["text"]
    sixth = await answer(user, "1,2 milyon")
    assert "(6/22) İstihdam sayısı — birim: kişi" in sixth["text"]
    bad = await answer(user, "%12")
    assert "“İstihdam sayısı” yüzde değil; % işareti olmadan yazın." in bad["text"]
    seventh = await answer(user, "1.234")
    assert "(7/22)" in seventh["text"]
    share = await skip(user, seventh, 6)
    assert "(13/22) Yeni ürünlerden elde edilen gelirlerin ciro" in share["text"]
    rest = await answer(user, "%12,5")
    summary = await skip(user, rest, 9)

    text = summary["text"]
    assert "Özet: 6 değer girildi, 16 atlandı." in text
    for line in (
        "G01 Paydaş sayısı: 1.250 adet",
        "G02 Patent sayısı: 12 adet",
        "G03 Faydalı model sayısı: 500 adet",
        "G04 Marka tescili sayısı: atlandı",
        "G05 İhracat değeri: 1.200.000 TL",
        "G06 İstihdam sayısı: 1.234 kişi",
        "G14 Yeni ürünlerden elde edilen gelirlerin ciro içerisindeki pa…: %12,5",
        "G25 Firmalar arası çalışan hareketliliği: atlandı",
    ):
        assert line in text
    assert buttons(summary) == ["✅ Onayla", "✏️ Düzelt", "Sonra bitiririm (taslak)"]

    pick = await press(user, summary, "✏️ Düzelt")
    assert "Hangi değeri düzeltmek istersiniz?" in pick["text"]
    assert buttons(pick)[3:6] == [
        "➖ G04 · Marka tescili sayısı",
        "✅ G05 · İhracat değeri",
        "✅ G06 · İstihdam sayısı",
    ]
    again = await press(user, pick, "✅ G06 · İstihdam sayısı")
    assert "(6/22) İstihdam sayısı" in again["text"]
    assert "Şu anki yanıtınız: 1.234 kişi" in again["text"]
    assert buttons(again) == ["Atla", "↩︎ Özete dön"]
    summary = await answer(user, "1.300")
    assert "G06 İstihdam sayısı: 1.300 kişi" in summary["text"]
    saved = await press(user, summary, "✅ Onayla")
    assert "✅ Kaydedildi: 6 değer, 16 atlandı." in saved["text"]
    assert "reply_markup" not in saved or not buttons(saved)

    with Session(bot_env.engine) as session:
        person = session.exec(select(Person).where(Person.telegram_user_id == 2001)).one()
        cluster = session.exec(select(Cluster).where(Cluster.code == "organik-gida")).one()
        codes = {i.id: i.code for i in session.exec(select(Indicator))}
        rows = session.exec(
            select(IndicatorValue)
            .where(IndicatorValue.period == "2014Q1")
            .order_by(col(IndicatorValue.indicator_id))
        ).all()
        older = session.exec(select(IndicatorValue).where(IndicatorValue.period != "2014Q1"))
        assert len(older.all()) == 2
        assert session.exec(select(Dialog)).all() == []
    assert [(codes[r.indicator_id], r.value) for r in rows] == [
        ("G01", Decimal(1250)),
        ("G02", Decimal(12)),
        ("G03", Decimal(500)),
        ("G05", Decimal(1200000)),
        ("G06", Decimal(1300)),
        ("G14", Decimal("12.5")),
    ]
    assert all(isinstance(r.value, Decimal) for r in rows)
    assert {(r.cluster_id, r.subject_key, r.person_id, r.version) for r in rows} == {
        (cluster.id, f"c{cluster.id}", person.id, 1)
    }
    assert {r.organisation_id for r in rows} == {person.organisation_id}


async def test_cancel_keeps_a_draft_and_gosterge_resumes_it(bot_env):
    user = await bot_env.register(2004, "KY Organik Gıda", Role.REPORTER)
    first = await answer(user, "/gosterge")
    second = await answer(user, "45")
    await press(user, second, "Atla")
    cancelled = await answer(user, "/iptal")
    assert "/gosterge ile kaldığınız yerden devam edebilirsiniz" in cancelled["text"]
    resumed = await answer(user, "/gosterge")
    assert "Yarım kalan gösterge girişinize devam ediyoruz." in resumed["text"]
    assert "(3/22) Faydalı model sayısı" in resumed["text"]
    back = await press(user, resumed, "↩︎ Geri")
    assert "(2/22)" in back["text"] and "Şu anki yanıtınız: atlandı" in back["text"]
    await user.press(first, "Atla")  # an old question's button: the notice only
    assert (await user.wait_answer())["text"] == "Bu düğme artık geçerli değil."
    await user.assert_no_reply()  # the question it is at is on screen already
    with Session(bot_env.engine) as session:
        assert session.exec(select(IndicatorValue)).all() == []
        draft = session.exec(select(Dialog)).one()
        answers = {
            session.get(Indicator, int(k)).code: v for k, v in draft.data["answers"].items()
        }
    assert answers == {"G01": "45", "G02": None}


async def test_the_agency_picks_a_cluster_and_enters_level_2_indicators(bot_env):
    user = await bot_env.register(2002, "İZKA", Role.AGENCY)
    pick = await answer(user, "/gosterge")
    assert "2014 1. Çeyrek gösterge girişi" in pick["text"]
    assert len(buttons(pick)) == 6 and "İNOVİZ – Sağlık için İzmir" in buttons(pick)

    first = await press(user, pick, "İNOVİZ – Sağlık için İzmir")
    assert "İNOVİZ – Sağlık için İzmir · 2014 1. Çeyrek göstergeleri" in first["text"]
    assert "(1/4) Kümelenmeyle ilgili memnuniyet düzeyi – her paydaş için" in first["text"]
    assert "birim: 1-5 puan; geçerli aralık: 1 – 5" in first["text"]
    second = await answer(user, "3,5")
    assert "(2/4) Kümelenmenin tanınırlığı, bilinirliği" in second["text"]
    third = await press(user, second, "Atla")
    assert "(3/4) Yeni şirket oluşumu sayısı" in third["text"]
    fourth = await answer(user, "7")
    assert "(4/4) Firmaların güvenilirlikleri" in fourth["text"]
    bad = await answer(user, "6")
    assert "6 geçerli aralığın dışında: değer 1 ile 5 arasında olmalı (1-5 puan)." in bad["text"]
    summary = await answer(user, "4")
    codes = [line.split()[0] for line in summary["text"].splitlines() if line.startswith("G")]
    assert codes == ["G12", "G15", "G23", "G26"]
    assert (
        "G12 Kümelenmeyle ilgili memnuniyet düzeyi – her paydaş için: 3,5 puan"
        in (summary["text"])
    )
    saved = await press(user, summary, "✅ Onayla")
    assert "Kaydedildi: 3 değer, 1 atlandı." in saved["text"]

    with Session(bot_env.engine) as session:
        agency = session.exec(select(Organisation).where(Organisation.short == "İZKA")).one()
        inoviz = session.exec(select(Cluster).where(Cluster.code == "inoviz")).one()
        rows = session.exec(select(IndicatorValue).order_by(col(IndicatorValue.id))).all()
        levels = {session.get(Indicator, r.indicator_id).level for r in rows}
    assert [r.value for r in rows] == [Decimal("3.5"), Decimal(7), Decimal(4)]
    assert levels == {2}
    assert {(r.cluster_id, r.organisation_id, r.period) for r in rows} == {
        (inoviz.id, agency.id, "2014Q1")
    }


async def test_a_chamber_reporter_is_refused_politely(bot_env):
    user = await bot_env.register(2003, "EBSO", Role.REPORTER)
    assert "gosterge" not in [c["command"] for c in user.commands]
    refused = await answer(user, "/gosterge")
    assert refused["text"].startswith("⛔ Gösterge değerlerini küme yönetimleri ve ajans girer;")
    assert "EBSO için /gosterge açık değil" in refused["text"]
    assert not buttons(refused)
    reply = await answer(user, "45")  # no question was asked, so nothing is taken
    assert "Şu anda yanıt beklediğim bir soru yok." in reply["text"]
    with Session(bot_env.engine) as session:
        assert session.exec(select(IndicatorValue)).all() == []
        assert session.exec(select(Dialog)).all() == []
